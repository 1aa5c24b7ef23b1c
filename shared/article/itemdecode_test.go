package article

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// randomItem is an article item with every field set at random (zero now
// and then), marshalled as the store writes it.
func randomItem(t testing.TB, r *rand.Rand) dynamo.Item {
	var it reflectedArticleItem
	v := reflect.ValueOf(&it).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if r.IntN(5) == 0 {
			continue // zero: omitempty leaves the attribute out
		}
		switch f.Interface().(type) {
		case string:
			f.SetString(fmt.Sprintf("%s-%x", v.Type().Field(i).Name, r.Uint64()))
		case bool:
			f.SetBool(true)
		case float64:
			f.SetFloat(r.NormFloat64() * 100)
		case uint64:
			f.SetUint(r.Uint64())
		case time.Time:
			f.Set(reflect.ValueOf(time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()))
		default:
			t.Fatalf("field %s of a type this test does not fill", v.Type().Field(i).Name)
		}
	}
	item, err := dynamo.MarshalItem(it)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// TestArticleItemsDecodeAsGureguDecodesThem: articleItem's hand decoder
// gives what guregu's reflective decoder gives — every field, any item the
// store writes, and items of other shapes (NULLs, a time as a number, a
// wrong type, a bad number), errors included.
func TestArticleItemsDecodeAsGureguDecodesThem(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	odd := []func(dynamo.Item){
		func(it dynamo.Item) { it["title"] = &types.AttributeValueMemberNULL{Value: true} },
		func(it dynamo.Item) { it["published_at"] = &types.AttributeValueMemberN{Value: "1796117405"} },
		func(it dynamo.Item) { it["hidden"] = &types.AttributeValueMemberS{Value: "true"} },
		func(it dynamo.Item) { it["fingerprint"] = &types.AttributeValueMemberN{Value: "-1"} },
		func(it dynamo.Item) { it["source_weight"] = &types.AttributeValueMemberS{Value: "1"} },
		func(it dynamo.Item) { it["ingested_at"] = &types.AttributeValueMemberS{Value: "yesterday"} },
		func(it dynamo.Item) { it["unknown"] = &types.AttributeValueMemberS{Value: "ignored"} },
		func(it dynamo.Item) { it["moderated_at"] = &types.AttributeValueMemberNULL{Value: true} },
	}
	for i := range 2000 {
		item := randomItem(t, r)
		if i%4 == 3 {
			odd[r.IntN(len(odd))](item)
		}
		var want reflectedArticleItem
		wantErr := dynamo.UnmarshalItem(item, &want)
		// Decoded over a used item, as a reused slice element is.
		got := articleItem(*(*reflectedArticleItem)(randomArticleItem(t, r)))
		gotErr := dynamo.UnmarshalItem(item, &got)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("item %v: error %v, guregu's %v", item, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, articleItem(want)) {
			t.Fatalf("item %v:\n got %+v\nwant %+v", item, got, want)
		}
	}
}

func randomArticleItem(t testing.TB, r *rand.Rand) *reflectedArticleItem {
	var it reflectedArticleItem
	if err := dynamo.UnmarshalItem(randomItem(t, r), &it); err != nil {
		t.Fatal(err)
	}
	return &it
}

// BenchmarkArticleItemDecode is the decode of a stored article, guregu's
// reflective decoder against articleItem's. Reproduce:
// go test -run '^$' -bench ArticleItemDecode -benchmem ./shared/article
func BenchmarkArticleItemDecode(b *testing.B) {
	at := time.Date(2026, 12, 1, 9, 30, 5, 123456789, time.UTC)
	item, err := dynamo.MarshalItem(toItem(Article{ID: "0123456789abcdef0123456789abcdef", URL: "https://news.example.com/world/2026/12/01/talks",
		Title: "Talks resume after a week of strikes at the ports", Summary: "Negotiators for the dock workers and the port operators met again on Monday.",
		ImageURL: "https://news.example.com/images/ports.jpg", SourceID: "example-world", Category: "world", Story: "fedcba9876543210fedcba9876543210",
		Language: "en", PublishedAt: at, IngestedAt: at.Add(time.Minute), SourceWeight: 1, Fingerprint: 1234567890123456789}))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("reflective", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var it reflectedArticleItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("articleItem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var it articleItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				b.Fatal(err)
			}
		}
	})
}
