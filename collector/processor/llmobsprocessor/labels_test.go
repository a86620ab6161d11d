package llmobsprocessor

import (
	"fmt"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestLabelsKeepTheFirstValuesAndFoldTheRest(t *testing.T) {
	l := newLabeler(LabelsConfig{Attributes: []string{"gen_ai.agent.name", "llmobs.feature"}, MaxValues: 2})
	steps := []struct {
		in   map[string]any
		want map[string]any
		fold int64
	}{
		{map[string]any{"gen_ai.agent.name": "a", "llmobs.feature": "search"}, map[string]any{"gen_ai.agent.name": "a", "llmobs.feature": "search"}, 0},
		{map[string]any{"gen_ai.agent.name": "b"}, map[string]any{"gen_ai.agent.name": "b"}, 0},
		{map[string]any{"gen_ai.agent.name": "c", "llmobs.feature": "chat"}, map[string]any{"gen_ai.agent.name": "other", "llmobs.feature": "chat"}, 1},
		{map[string]any{"gen_ai.agent.name": "a"}, map[string]any{"gen_ai.agent.name": "a"}, 0},
		{map[string]any{"llmobs.feature": "summary"}, map[string]any{"llmobs.feature": "other"}, 1},
		{map[string]any{"llmobs.feature": "other"}, map[string]any{"llmobs.feature": "other"}, 0},
		{map[string]any{"gen_ai.request.model": "gpt-4o"}, map[string]any{"gen_ai.request.model": "gpt-4o"}, 0},
	}
	for i, st := range steps {
		attrs := pcommon.NewMap()
		if err := attrs.FromRaw(st.in); err != nil {
			t.Fatal(err)
		}
		if got := l.fold(attrs); got != st.fold {
			t.Errorf("step %d: folded %d, want %d", i, got, st.fold)
		}
		if got := attrs.AsRaw(); fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Errorf("step %d: %v, want %v", i, got, st.want)
		}
	}
	var none *labeler
	if none.fold(pcommon.NewMap()) != 0 {
		t.Fatal("a nil labeler folded")
	}
}

func TestLabelsCapHoldsUnderConcurrency(t *testing.T) {
	l := newLabeler(LabelsConfig{Attributes: []string{"user.feature"}, MaxValues: 50})
	var wg sync.WaitGroup
	kept := make([]map[string]bool, 8)
	for w := range kept {
		kept[w] = map[string]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				attrs := pcommon.NewMap()
				attrs.PutStr("user.feature", fmt.Sprintf("f%d", (i*7+w)%500))
				l.fold(attrs)
				v, _ := attrs.Get("user.feature")
				kept[w][v.Str()] = true
			}
		}()
	}
	wg.Wait()
	distinct := map[string]bool{}
	for _, k := range kept {
		for v := range k {
			distinct[v] = true
		}
	}
	if len(distinct) != 51 { // 50 admitted values + "other"
		t.Fatalf("%d distinct label values, want 51", len(distinct))
	}
}
