// Package clustereval measures ingestion's story clustering on a labelled set
// of headlines: pairwise precision and recall, B-cubed, and whether look-alike
// headlines of different stories (near-misses) stay apart.
//
// The set (headlines.txt, embedded here and not in package article, so no
// function binary carries it) is synthetic: written by hand for this
// evaluation, not collected from real feeds. It holds realistic headlines in
// six categories (world, business, tech, sports, science, culture): 100-odd
// stories told by two to five sources each the way different outlets write
// one story (rewordings, word order, stop words, numbers as digits or words,
// "UPDATE:", "LIVE:" and "Analysis:" prefixes, " - Reuters" and " | BBC"
// suffixes, British and American spelling, titles that read as translated,
// quotes and colons); 50-odd near-miss pairs, different stories whose titles
// look alike (one election in Kenya and one in Chile, a 3-1 and a 2-0, one
// company and another, day two and day three of one Test match, a rate held
// and a rate raised); and some unrelated filler. The near-misses were written
// with the stories, before the clustering was tuned, and the set was not
// edited afterwards to suit the clustering.
//
// The set is split in two halves, fixed by a rule rather than by hand: the
// stories linked by near-miss lines form a group, and a group goes to the
// tuning half when the FNV-1a hash of its first story's label (in label
// order) is even, else to the held-out half. The clustering was tuned looking
// only at the tuning half's figures; the held-out half says whether it
// generalises. Each half is clustered on its own, and the whole set once more
// as one stream.
//
// A second set, fresh.txt (138 headlines, 65 stories, 20 near-misses), was
// written after the decision's thresholds were frozen on the tuning half and
// before the held-out half's errors were read, to measure it blind once more;
// a third, fresh2.txt, before the recall work below.
//
// How the decision was tuned, in order (the figures are pairwise precision,
// recall, near-misses apart):
//
//   - the SimHash distance it replaced: tune 0.613, 0.121, 17/25; held-out
//     0.718, 0.201, 20/26.
//   - normalised title words, tuned on the tuning half only: tune 1.000,
//     0.930, 25/25; held-out measured blind 0.807, 0.842, 23/26; then the
//     fresh set, written now, measured blind 0.971, 0.615, 19/20.
//   - after reading the held-out half's and the fresh set's errors (so none
//     of the sets is blind since): number kinds, acronyms, headline
//     synonyms, "one template, another subject", and no joining a story an
//     article of which the newcomer contradicts: tune 1.000, 0.866, 25/25;
//     held-out 0.954, 0.892, 26/26; fresh 0.963, 0.716, 19/20.
//   - a second fresh set, fresh2.txt (137 headlines, 61 stories, 16
//     near-misses), written before the next changes and measured once on the
//     decision above: 0.911, 0.357, 14/16. Its errors were not read.
//   - identifiers ("H5N1", "A320neo", a hex id) as one name-like token whose
//     mismatch separates two titles, and a lower-case first word as the
//     subject: no two of the local cloud's generated load titles ("library
//     observatory canal reopens after 37 years (c5fa0e)") join (no figure
//     changed).
//   - tried on the tuning half and dropped: a second, looser pass joining
//     titles published within 6 h that share two rare names, numbers or first
//     words (rare by their frequency in the pool): tune recall 0.879 but
//     held-out precision 0.840 ("EU" in a migration pact and a Google fine,
//     "Apple" and "iPhone" in a sales miss and a launch; a set's pool is too
//     small for the frequencies to tell); truncating words to their first 5–8
//     letters (recall ±0.01).
//   - kept: titles published less than an hour apart need 0.05 less
//     similarity (versions of one story come out within the hour), and an
//     article of the story contradicts a newcomer naming others only when
//     they are not alike even by the plain threshold (0.5, was 0.65):
//     tune 1.000, 0.924, 25/25; held-out 0.954, 0.892, 26/26; fresh 0.964,
//     0.743, 19/20. Bonuses of 0.03–0.15 over gaps of 30 min–6 h were
//     measured on all three: the larger ones raised tune recall to 0.97 but
//     held-out precision fell to 0.90 (or a fresh near-miss merged), so the
//     smallest that helped was kept. Then fresh2 measured once more: 0.926,
//     0.435, 14/16.
//
// The recall aim (0.9) is met on the tuning half only. The fresh sets' low
// recall is headlines worded differently for one thing ("Norges Bank" and
// "Norway's central bank", "JWST" and "Webb", "S&P 500" and "Wall Street"),
// which a title's words cannot tell; the article's summary, stored by
// ingestion, could, but the sets carry no summaries yet.
//
// Measure runs ingestion's own decision (article.Stories, the one the
// ingestion batch uses) over each headline in publication order, as articles
// made by ingest.FromItem.
package clustereval
