package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// The proxy serves HTTPS with the certificate it generated and forwards to
// the plain-HTTP application on localhost, as the load balancer's health
// check and requests reach it.
func TestProxyTerminatesTLSAndForwards(t *testing.T) {
	srv := startProxy(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Proto", r.Header.Get("X-Forwarded-Proto"))
		_, _ = io.WriteString(w, "app:"+r.URL.Path)
	})

	// Like the ALB: TLS 1.2, no verification of the target's certificate.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}}} //nolint:gosec // the ALB does not verify targets
	resp, err := client.Get(srv.URL + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "app:/api/health" {
		t.Fatalf("got %d %q, want 200 from the application", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS12 {
		t.Fatalf("want a TLS 1.2 connection, got %+v", resp.TLS)
	}
	if got := resp.Header.Get("X-Seen-Proto"); got != "https" {
		t.Fatalf("the application saw X-Forwarded-Proto %q, want https", got)
	}
	if leaf := resp.TLS.PeerCertificates[0]; leaf.Subject.CommonName != "ip-10-0-1-2" || time.Until(leaf.NotAfter) < 300*24*time.Hour {
		t.Fatalf("certificate %q valid until %s", leaf.Subject.CommonName, leaf.NotAfter)
	}

	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}}} //nolint:gosec // testing a refusal
	if _, err := old.Get(srv.URL + "/"); err == nil {
		t.Fatal("TLS 1.1 must be refused")
	}
	// Plain HTTP gets no application response.
	plain, err := http.Get("http://" + srv.Listener.Addr().String() + "/")
	if err == nil {
		b, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if string(b) == "app:/" {
			t.Fatal("plain HTTP must not reach the application")
		}
	}
}

// The application sees the client the load balancer saw: the ALB's
// X-Forwarded-For (the client's address) is kept, not replaced by the ALB's
// own address, and the Host the client asked for is kept too.
func TestProxyKeepsTheClientsForwardedHeaders(t *testing.T) {
	srv := startProxy(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-For", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Seen-Host", r.Host)
	})

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Host = "app.docustack.example"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the ALB does not verify targets
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Seen-For"); got != "203.0.113.7" {
		t.Fatalf("the application saw X-Forwarded-For %q, want the client's 203.0.113.7 as the ALB sent it", got)
	}
	if got := resp.Header.Get("X-Seen-Host"); got != "app.docustack.example" {
		t.Fatalf("the application saw Host %q, want the client's", got)
	}
}

// startProxy runs the proxy with the certificate it would generate, in front
// of an application; both stop with the test.
func startProxy(t *testing.T, app http.HandlerFunc) *httptest.Server {
	t.Helper()
	upstream := httptest.NewServer(app)
	t.Cleanup(upstream.Close)
	u, _ := url.Parse(upstream.URL)
	cert, err := selfSigned("ip-10-0-1-2", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(proxy(u))
	srv.TLS = serverTLS(cert)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}
