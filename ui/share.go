package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Shared is the playground's state in a link: the expression, the target
// and the steps. It travels in the URL's fragment, which the browser
// never sends to the server.
type Shared struct {
	V        int               `json:"v"`
	Workload string            `json:"w"`
	Target   string            `json:"t,omitempty"`
	Steps    []json.RawMessage `json:"s,omitempty"`
}

// sharePrefix starts a playground fragment.
const sharePrefix = "play="

// EncodeShare writes a state as a URL fragment (without '#').
func EncodeShare(s Shared) string {
	s.V = 1
	data, _ := json.Marshal(s)
	return sharePrefix + base64.RawURLEncoding.EncodeToString(data)
}

// DecodeShare reads a fragment written by EncodeShare.
func DecodeShare(frag string) (Shared, error) {
	var s Shared
	body, ok := strings.CutPrefix(strings.TrimPrefix(frag, "#"), sharePrefix)
	if !ok {
		return s, fmt.Errorf("the link's fragment is not a playground state (it should start with %q)", sharePrefix)
	}
	data, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return s, fmt.Errorf("the link's playground state is damaged: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("the link's playground state does not read: %w", err)
	}
	if s.V != 1 {
		return s, fmt.Errorf("the link's playground state has version %d; this tabtune reads version 1", s.V)
	}
	if strings.TrimSpace(s.Workload) == "" {
		return s, fmt.Errorf("the link's playground state names no expression")
	}
	return s, nil
}

// shareFragment is the playground's state as a fragment.
func (a *App) shareFragment() string {
	p := &a.Play
	return EncodeShare(Shared{Workload: p.Workload, Target: p.Target, Steps: p.Steps})
}

// ShareLink is the address that reproduces the playground.
func (a *App) ShareLink() string { return a.host.Link(a.shareFragment()) }

// OpenShared opens the playground on a shared state.
func (a *App) OpenShared(frag string) {
	s, err := DecodeShare(frag)
	a.update(func() {
		if err != nil {
			if strings.HasPrefix(frag, sharePrefix) {
				a.Status = err.Error()
			}
			return
		}
		a.View = "playground"
		a.startPlay(s.Workload, s.Steps)
		if s.Target != "" {
			a.Play.Target = s.Target
		}
		a.Play.Msg = "opened from a shared link"
	})
}
