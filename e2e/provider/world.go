package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// WorldEnv names the file in which the test provider keeps what exists in
// the fake AWS accounts across its processes: the engine starts one provider
// process per command and per explicit provider, and AWS remembers between
// them. Unset: nothing is remembered and only the document checks refuse.
const WorldEnv = "DOCUSTACK_E2E_WORLD"

// world is what exists, by account.
type world struct {
	Accounts map[string]*account `json:"accounts"`
}

// account is one fake AWS account.
type account struct {
	// Live resources by URN and ID (a replacement lives beside the original
	// until the original is deleted).
	Live map[string]live `json:"live"`
}

// live is one created resource.
type live struct {
	URN, ID, Type string
	ARN           string `json:",omitempty"`
	// Name is the fixed physical name AWS keeps unique, when the type has one.
	Name   string `json:",omitempty"`
	Bucket string `json:",omitempty"`
}

func key(urn, id string) string { return urn + "\x00" + id }

// withWorld runs f on the world under an exclusive lock and saves what f
// changed. Without WorldEnv, f sees an empty world that is not kept.
func withWorld(f func(w *world) error) error {
	path := os.Getenv(WorldEnv)
	w := &world{Accounts: map[string]*account{}}
	if path == "" {
		return f(w)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, w); err != nil {
			return err
		}
	}
	if err := f(w); err != nil {
		return err
	}
	out, err := json.MarshalIndent(w, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

func (w *world) account(id string) *account {
	a, ok := w.Accounts[id]
	if !ok {
		a = &account{Live: map[string]live{}}
		w.Accounts[id] = a
	}
	return a
}

// anyLive reports whether any account holds a live resource matching f.
func (w *world) anyLive(f func(live) bool) bool {
	for _, a := range w.Accounts {
		for _, l := range a.Live {
			if f(l) {
				return true
			}
		}
	}
	return false
}

// arnExists reports whether any account holds a resource with this ARN.
func (w *world) arnExists(arn string) bool {
	return w.anyLive(func(l live) bool { return l.ARN == arn })
}

// named returns the live resource of a type holding a fixed name.
func (a *account) named(typ, name string) (live, bool) {
	for _, l := range a.Live {
		if l.Type == typ && l.Name == name {
			return l, true
		}
	}
	return live{}, false
}

// bucketAccount returns the account that owns a bucket, if any.
func (w *world) bucketAccount(bucket string) (string, bool) {
	for id, a := range w.Accounts {
		for _, l := range a.Live {
			if l.Bucket == bucket {
				return id, true
			}
		}
	}
	return "", false
}

// hasURN reports whether a resource with this URN is live (a create for it
// is then a replacement).
func (w *world) hasURN(urn string) bool { return w.anyLive(func(l live) bool { return l.URN == urn }) }
