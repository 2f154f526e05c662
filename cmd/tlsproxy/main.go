// Command tlsproxy terminates TLS inside a task for the load balancer: it
// listens on LISTEN_PORT (default 8080) with a certificate it generates at
// start and forwards every request to the application on UPSTREAM (default
// http://127.0.0.1:3000), the same task's localhost.
//
// An Application Load Balancer does not validate its targets' certificates,
// so a self-signed one generated per task serves: "The load balancer
// establishes TLS connections with the targets using certificates that you
// install on the targets. The load balancer does not validate these
// certificates." (Elastic Load Balancing, "Target groups for your
// Application Load Balancers", Routing configuration). The private key
// never leaves the task's memory: nothing is stored, in state or elsewhere.
package main

import (
	"log"
	"net/http"
	"net/url"
	"os"
	"time"
)

func main() {
	port := getenv("LISTEN_PORT", "8080")
	upstream, err := url.Parse(getenv("UPSTREAM", "http://127.0.0.1:3000"))
	if err != nil || upstream.Host == "" {
		log.Fatalf("UPSTREAM: got %q, want an http://host:port URL", os.Getenv("UPSTREAM"))
	}
	host, _ := os.Hostname()
	cert, err := selfSigned(host, time.Now())
	if err != nil {
		log.Fatalf("generating the certificate: %v", err)
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           proxy(upstream),
		TLSConfig:         serverTLS(cert),
		ReadHeaderTimeout: 10 * time.Second,
		// Longer than the load balancer's idle timeout (60 s), so the
		// load balancer, not the target, closes idle connections.
		IdleTimeout: 120 * time.Second,
	}
	log.Printf("tlsproxy: https on :%s -> %s", port, upstream)
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
