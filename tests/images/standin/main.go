// Command standin answers a backend's readiness endpoint and nothing more.
//
// The llmobs end-to-end tests run the real collector and a real Prometheus,
// but Grafana, Tempo and Loki images cannot be pulled on the test machines.
// This server stands in for them so `llmobs up` can start, wait for and tear
// down a complete stack. It is configured through environment variables baked
// into each stand-in image (compose overrides the command, not the env):
//
//	STANDIN_NAME        what it stands in for, used in its log lines
//	STANDIN_PORT        the port the real service listens on
//	STANDIN_READY_PATH  its readiness path (/ready, /api/health)
//	STANDIN_CRASH       when set, log it and exit 1 at once (tests the fail-fast path)
//	STANDIN_DATA_DIR    Grafana only: where the admin password is kept (its data volume)
//
// With STANDIN_DATA_DIR it also mimics the one Grafana behaviour llmobs relies
// on: the admin password is taken from GF_SECURITY_ADMIN_PASSWORD (default
// "admin") only when the data directory is new, /api/user checks it with basic
// auth, and `grafana cli admin reset-admin-password PW` (this binary, called
// as grafana) changes it.
//
// GET on the readiness path answers 200; /metrics answers an empty exposition
// (so Prometheus' scrape of it succeeds); POST anywhere answers 200 with an
// empty JSON body, so OTLP/HTTP exports to it do not pile up in retries.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	name := env("STANDIN_NAME", "standin")
	port := env("STANDIN_PORT", "8080")
	ready := env("STANDIN_READY_PATH", "/ready")
	log.SetPrefix(name + "-standin: ")
	log.SetFlags(0)
	data := os.Getenv("STANDIN_DATA_DIR")
	passwordFile := filepath.Join(data, "admin-password")
	if filepath.Base(os.Args[0]) == "grafana" {
		resetPassword(passwordFile, os.Args[1:])
		return
	}
	if msg := os.Getenv("STANDIN_CRASH"); msg != "" {
		log.Printf("simulated crash: %s", msg)
		os.Exit(1)
	}

	if data != "" {
		if _, err := os.Stat(passwordFile); os.IsNotExist(err) {
			writePassword(passwordFile, env("GF_SECURITY_ADMIN_PASSWORD", "admin"))
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-stop
		log.Printf("stopping on %s", sig)
		os.Exit(0)
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == ready:
			if ready == "/api/health" {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, "{\"database\":\"ok\",\"version\":\"%s-standin\"}\n", name)
				return
			}
			fmt.Fprintln(w, "ready")
		case r.URL.Path == "/api/user" && data != "":
			stored, _ := os.ReadFile(passwordFile)
			user, password, ok := r.BasicAuth()
			if !ok || user != "admin" || password != strings.TrimSpace(string(stored)) {
				http.Error(w, `{"message":"invalid username or password"}`, http.StatusUnauthorized)
				return
			}
			fmt.Fprintln(w, `{"login":"admin"}`)
		case r.URL.Path == "/metrics":
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		case r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, "{}")
		default:
			http.NotFound(w, r)
		}
	})
	log.Printf("listening on :%s, ready at %s (args ignored: %v)", port, ready, os.Args[1:])
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func resetPassword(file string, args []string) {
	if len(args) != 4 || strings.Join(args[:3], " ") != "cli admin reset-admin-password" {
		log.Fatalf("usage: grafana cli admin reset-admin-password PASSWORD (got %v)", args)
	}
	writePassword(file, args[3])
	fmt.Println("Admin password changed successfully")
}

func writePassword(file, password string) {
	if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
		log.Fatalf("cannot keep the admin password: %v", err)
	}
}
