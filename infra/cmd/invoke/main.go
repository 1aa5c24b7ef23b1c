// Command invoke runs one function's real bootstrap once with an event and
// prints the response, its log lines and the duration — `make invoke FN=…
// EVENT=…`, like sam local invoke without Docker. With a local cloud running on
// KIOSK_PORT it invokes there (its DynamoDB, bus and data); otherwise it starts
// a quiet one for the call. With -print it only prints the event (`make event`).
//
// EVENT is a JSON file, "scheduled", a route key such as "GET /v1/articles",
// or a detail type of the event catalogue such as article.published.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
)

func main() {
	fn := flag.String("fn", "", "the function to invoke")
	event := flag.String("event", "", "a JSON file, \"scheduled\", a route key (\"GET /v1/health\") or a detail type")
	print := flag.Bool("print", false, "print the event and stop")
	flag.Parse()
	if err := run(*fn, *event, *print); err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

func run(fn, spec string, printOnly bool) error {
	if spec == "" {
		return fmt.Errorf("EVENT is required: a JSON file, \"scheduled\", a route key or a detail type")
	}
	payload, err := os.ReadFile(spec)
	if err != nil {
		if payload, err = local.SampleEvent(".", spec); err != nil {
			return err
		}
	}
	if !json.Valid(payload) {
		return fmt.Errorf("%s is not JSON", spec)
	}
	if printOnly {
		fmt.Println(string(payload))
		return nil
	}
	if fn == "" {
		return fmt.Errorf("FN is required")
	}
	port := os.Getenv("KIOSK_PORT")
	if port == "" {
		port = "3000"
	}
	var rep local.InvokeReport
	url := "http://127.0.0.1:" + port + "/_local/invoke/" + fn
	resp, err := http.Post(url, "application/json", bytes.NewReader(payload))
	if err == nil {
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the local cloud answered %d: %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &rep); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "(invoked on the running local cloud at 127.0.0.1:%s)\n", port)
	} else {
		fmt.Fprintln(os.Stderr, "(no local cloud on 127.0.0.1:"+port+"; starting one for this call)")
		c, err := local.Start(context.Background(), local.Config{Root: ".", NoSamples: true, Console: io.Discard})
		if err != nil {
			return err
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 16*time.Minute)
		defer cancel()
		if rep, err = c.InvokeDirect(ctx, fn, payload); err != nil {
			return err
		}
	}
	for _, l := range rep.Logs {
		fmt.Fprintln(os.Stderr, "  | "+l)
	}
	cold := ""
	if rep.Cold {
		cold = fmt.Sprintf(", cold start (init %.1f ms)", rep.InitMS)
	}
	fmt.Fprintf(os.Stderr, "%s: %s in %.1f ms%s %s\n", rep.Function, rep.Status, rep.DurationMS, cold, rep.Error)
	var pretty bytes.Buffer
	if json.Indent(&pretty, rep.Response, "", "  ") == nil {
		fmt.Println(pretty.String())
	} else {
		fmt.Println(string(rep.Response))
	}
	if rep.Status != "ok" {
		os.Exit(2)
	}
	return nil
}
