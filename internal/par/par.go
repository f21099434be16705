// Package par runs a loop's iterations on every core: the bundle's profiles,
// files and folders, and vet's per-profile rules.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers is how many goroutines Each runs for n iterations: one a core, no
// more than n, at least one.
func Workers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// Each runs f(worker, i) for every i in 0 … n-1, on Workers(n) goroutines
// that take the next i as they finish one; worker (0 … Workers(n)-1) names
// the goroutine, for state one goroutine keeps to itself.
func Each(n int, f func(worker, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range Workers(n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

// First runs f(i) for every i in 0 … n-1 as Each does and returns the error
// of the lowest i that failed, or nil.
func First(n int, f func(i int) error) error {
	errs := make([]error, n)
	Each(n, func(_, i int) { errs[i] = f(i) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Until runs f(i) as First does, but starts no iteration above one that has
// failed (a build that fails writes nothing: what it would still render is
// wasted), and returns the error of the lowest i that failed, or nil. An
// iteration below a failed one still runs, so the lowest failing iteration
// always does: the error is the same whatever the timing.
func Until(n int, f func(i int) error) error {
	errs := make([]error, n)
	var lowest atomic.Int64 // the lowest i that failed so far; n: none
	lowest.Store(int64(n))
	Each(n, func(_, i int) {
		if lowest.Load() < int64(i) {
			return
		}
		if errs[i] = f(i); errs[i] != nil {
			for {
				low := lowest.Load()
				if low <= int64(i) || lowest.CompareAndSwap(low, int64(i)) {
					break
				}
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
