// Command dev runs Kiosk's local cloud (`make dev`): configuration comes from
// KIOSK_PORT, KIOSK_DATA_DIR, KIOSK_SCHEDULES=on|off and KIOSK_ADMIN_TOKEN.
// Ctrl-C stops every process it started.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk dev:", err)
		os.Exit(1)
	}
}

func run() error {
	port := 3000
	if p := os.Getenv("KIOSK_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("KIOSK_PORT=%q is not a port", p)
		}
		port = n
	}
	schedules := true
	switch os.Getenv("KIOSK_SCHEDULES") {
	case "", "on":
	case "off":
		schedules = false
	default:
		return fmt.Errorf("KIOSK_SCHEDULES must be on or off")
	}
	var ttlDelay time.Duration
	if v := os.Getenv("KIOSK_TTL_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("KIOSK_TTL_DELAY=%q is not a duration such as 15m or 0s", v)
		}
		ttlDelay = d
	}
	token, generated := os.Getenv("KIOSK_ADMIN_TOKEN"), false
	if token == "" {
		token, generated = local.RandomToken(), true
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	c, err := local.Start(ctx, local.Config{
		Root: root, Port: port, DataDir: os.Getenv("KIOSK_DATA_DIR"), Schedules: schedules, AdminToken: token,
		FetchAllow: os.Getenv("KIOSK_FETCH_ALLOW"), Watch: os.Getenv("KIOSK_RELOAD") != "off",
		Duplicates: os.Getenv("KIOSK_DUPLICATES") == "on", TTLDelay: ttlDelay, TTLImmediate: ttlDelay == 0 && os.Getenv("KIOSK_TTL_DELAY") != "",
	})
	if err != nil {
		return err
	}
	defer c.Close()
	store := "in memory"
	if d := os.Getenv("KIOSK_DATA_DIR"); d != "" {
		store = "persisted in " + d
	}
	fmt.Printf("\nKiosk local cloud ready in %.1fs\n", time.Since(start).Seconds())
	fmt.Printf("  HTTP API     %s   (try %s/v1/health)\n", c.APIURL, c.APIURL)
	fmt.Printf("  admin        %s/admin   (an editor account; the first operator's invitation, with the admin token below:\n", c.APIURL)
	fmt.Printf("               curl -s -X POST %s/admin/api/editors/invitations -H \"Authorization: Bearer $KIOSK_ADMIN_TOKEN\" \\\n", c.APIURL)
	fmt.Printf("                 -H 'Content-Type: application/json' -d '{\"email\":\"you@example.org\",\"role\":\"operator\"}'  → open %s + its link)\n", c.APIURL)
	fmt.Printf("  API docs     %s%s   (infra/topology/openapi.json, rendered by Redoc)\n", c.APIURL, local.DocsPath)
	fmt.Printf("  control      %s/_local/\n", c.APIURL)
	fmt.Printf("  EventBridge  %s\n", c.BusURL)
	fmt.Printf("  DynamoDB     %s   (%s)\n", c.DynamoURL, store)
	fmt.Printf("  schedules    %v\n", map[bool]string{true: "on", false: "off (KIOSK_SCHEDULES=off)"}[schedules])
	fmt.Printf("  logs         %s   (/_local/logs filters them)\n", c.LogDir)
	fmt.Printf("  live reload  %s\n", map[bool]string{true: "on: edits under functions/, shared/, events/ rebuild what they affect", false: "off"}[os.Getenv("KIOSK_RELOAD") != "off"])
	if generated {
		fmt.Printf("  admin token  %s   (generated; set KIOSK_ADMIN_TOKEN to choose one)\n", token)
	} else {
		fmt.Printf("  admin token  from KIOSK_ADMIN_TOKEN\n")
	}
	fmt.Println("Ctrl-C stops everything.")
	<-ctx.Done()
	fmt.Println("\nstopping…")
	return nil
}
