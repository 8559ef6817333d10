package event

import (
	"testing"
	"time"
)

func TestFormatMillis(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 3, 4, 5, 6, 7, 891_999_999, time.UTC), "2026-03-04T05:06:07.891Z"},
		{time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600)), "2026-03-04T04:06:07.000Z"},
		{time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC), "12026-01-01T00:00:00.000Z"},
	} {
		if got := FormatMillis(tt.in); got != tt.want {
			t.Errorf("FormatMillis(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSetClass(t *testing.T) {
	var e Event
	e.SetClass(ClassGroupManagement, ActivityGroupAddUser)
	if e.TypeUID != 300603 || e.ClassName != "Group Management" || e.ActivityName != "Add User" || e.CategoryUID != 3 {
		t.Errorf("%+v", e)
	}
	e.SetClass(ClassDetectionFinding, ActivityOther)
	if e.ActivityName != "Other" || e.CategoryName != "Findings" {
		t.Errorf("%+v", e)
	}
}

func TestCategoriesAreDistinctAndKnown(t *testing.T) {
	seen := map[Category]bool{}
	for _, ci := range CategoryInfos() {
		if seen[ci.Category] {
			t.Errorf("category %s listed twice", ci.Category)
		}
		seen[ci.Category] = true
		if !ci.Category.Known() || ci.Description == "" {
			t.Errorf("category %s: known %v, description %q", ci.Category, ci.Category.Known(), ci.Description)
		}
	}
	if len(seen) < 30 {
		t.Errorf("%d categories, want at least 30", len(seen))
	}
	if Category("made.up").Known() {
		t.Error("an unlisted category is known")
	}
}

func TestUserEntityIsCanonical(t *testing.T) {
	if UserEntity(" Ana.Lima@Contoso.example ") != UserEntity("ana.lima@contoso.example") {
		t.Error("user entities differ by case or spaces")
	}
}
