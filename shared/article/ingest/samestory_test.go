package ingest

import (
	"testing"

	"github.com/kiosk-news/kiosk/shared/article"
)

func TestStories(t *testing.T) {
	same := [][2]string{
		{"Leaders agree on a new climate fund at the summit", "Leaders agree new climate fund at summit"},
		{"Election results expected by midnight", "Election results are expected by midnight"},
		{"Marathon world record falls in Berlin", "Berlin marathon: world record falls"},
		{"Chipmaker opens its largest plant in Europe", "Chipmaker opens largest European plant"},
		{"Port strike ends after two weeks", "UPDATE 2-Port strike ends after 2 weeks - Reuters"},
		{"Airline orders 50 new jets", "LIVE: Airline orders fifty new jets | BBC News"},
		{"Smartphone sales rebound in the third quarter", "Smartphone sales rebound in Q3"},
		{"Bitcoin tops $100,000 for the first time", "Bitcoin tops 100k dollars"},
		{"West End theatre unveils colour-blind casting policy", "West End theater unveils color-blind casting policy"},
		{"Kenyan election: results expected before midnight", "Election results expected by midnight in Kenya"},
		{"Oil prices rise after OPEC+ extends output cuts", "Oil climbs as OPEC+ extends production cuts"},
		{"Beyoncé releases surprise country album", "Beyonce releases surprise country album"},
	}
	for _, p := range same {
		if !article.SameStory(p[0], p[1]) {
			t.Errorf("%q and %q should be one story", p[0], p[1])
		}
	}
	different := [][2]string{
		{"Leaders agree on a new climate fund at the summit", "Cup final decided on penalties"},
		{"Central bank holds rates steady", "Astronomers track a comet returning after 3,000 years"},
		{"Election results expected by midnight", "Port strike ends after two weeks"},
		{"Election results expected by midnight in Kenya", "Election results expected by midnight in Chile"},
		{"Arsenal beat Chelsea 3-1", "Arsenal beat Chelsea 2-0"},
		{"England v India, second Test, day two: as it happened", "England v India, second Test, day three: as it happened"},
		{"Central bank holds rates steady", "Central bank raises rates"},
		{"Oil prices rise after OPEC+ meeting", "Oil prices fall after OPEC+ meeting"},
		{"Apple shares fall after earnings miss", "Samsung shares fall after earnings miss"},
		{"Taylor Swift announces new tour dates in Europe", "Beyoncé announces new tour dates in Europe"},
		{"UK inflation falls to 3.2% in March", "US inflation falls to 3.5% in March"},
	}
	for _, p := range different {
		if article.SameStory(p[0], p[1]) {
			t.Errorf("%q and %q should be different stories", p[0], p[1])
		}
	}
}
