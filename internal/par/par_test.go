package par

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

// TestEach: every iteration runs once, and a worker index stays in range
// and is used by one goroutine at a time.
func TestEach(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		counts := make([]atomic.Int32, n)
		busy := make([]atomic.Bool, Workers(n))
		Each(n, func(w, i int) {
			if w < 0 || w >= Workers(n) {
				t.Errorf("worker %d out of range", w)
				return
			}
			if busy[w].Swap(true) {
				t.Errorf("worker %d ran twice at once", w)
			}
			counts[i].Add(1)
			busy[w].Store(false)
		})
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Errorf("n=%d: iteration %d ran %d times", n, i, c)
			}
		}
	}
}

// TestFirst: the error of the lowest failing iteration, whatever finished first.
func TestFirst(t *testing.T) {
	err := First(100, func(i int) error {
		if i%30 == 29 {
			return fmt.Errorf("failed %d", i)
		}
		return nil
	})
	if err == nil || err.Error() != "failed 29" {
		t.Errorf("got %v", err)
	}
	if err := First(10, func(int) error { return nil }); err != nil {
		t.Error(err)
	}
	if !errors.Is(First(1, func(int) error { return errors.ErrUnsupported }), errors.ErrUnsupported) {
		t.Error("the error is not returned as it is")
	}
}

// TestUntil: the error of the lowest failing iteration, whatever the timing,
// and no iteration below it skipped. (Which ones above it are skipped depends
// on the timing: that is the point, and not asserted.)
func TestUntil(t *testing.T) {
	for round := range 50 {
		fail := 10 + round
		var ran [200]atomic.Bool
		err := Until(len(ran), func(i int) error {
			ran[i].Store(true)
			if i >= fail && i%7 == fail%7 {
				return fmt.Errorf("failed %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != fmt.Sprintf("failed %d", fail) {
			t.Fatalf("round %d: got %v, want failed %d", round, err, fail)
		}
		for i := 0; i <= fail; i++ {
			if !ran[i].Load() {
				t.Fatalf("round %d: iteration %d, not above the failure, was skipped", round, i)
			}
		}
	}
	if err := Until(10, func(int) error { return nil }); err != nil {
		t.Error(err)
	}
}
