package emulate

import (
	"sync"
	"time"
)

// Clock gives the simulated time: what the emulated tenant believes "now" is. Record
// visibility and the default end of a query range follow it.
type Clock interface{ Now() time.Time }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Accelerated maps wall time to simulated time: sim = simStart + (wall-wallStart)*Speed.
// A speed of 0 freezes simulated time at simStart; a negative speed is taken as 0.
type Accelerated struct {
	simStart  time.Time
	wallStart time.Time
	speed     float64
	wall      func() time.Time
}

// NewAccelerated starts an accelerated clock at simStart, now.
func NewAccelerated(simStart time.Time, speed float64) *Accelerated {
	return NewAcceleratedWall(simStart, speed, time.Now)
}

// NewAcceleratedWall is NewAccelerated reading wall time from wall, for tests.
func NewAcceleratedWall(simStart time.Time, speed float64, wall func() time.Time) *Accelerated {
	if speed < 0 {
		speed = 0
	}
	return &Accelerated{simStart: simStart, wallStart: wall(), speed: speed, wall: wall}
}

// Now is the simulated time.
func (a *Accelerated) Now() time.Time {
	elapsed := a.wall().Sub(a.wallStart)
	return a.simStart.Add(time.Duration(float64(elapsed) * a.speed))
}

// Speed is how many simulated seconds pass per wall second.
func (a *Accelerated) Speed() float64 { return a.speed }

// ManualClock is a Clock moved by hand (tests, and a demo that steps time itself).
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock starts at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now is the clock's time.
func (m *ManualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t.
func (m *ManualClock) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Advance moves the clock on by d.
func (m *ManualClock) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}
