// Command webserver is the kubebin smoke-test web server: GET / answers "<hostname>\n" so that tests can tell
// pods apart, GET /healthz answers "ok\n". It listens on -listen (default :8080, or $PORT when set).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		addr = ":" + p
	}
	listen := flag.String("listen", addr, "address to listen on")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("kubebin webserver 1.0")
		return
	}
	host, err := os.Hostname()
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s %s", r.RemoteAddr, r.Method, r.URL.Path)
		fmt.Fprintln(w, host)
	})
	log.Printf("webserver on %s listening on %s", host, *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
