package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig_Defaults(t *testing.T) {
	c, _, err := ParseConfig("agora", nil, envOf(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.PublicURL != "http://localhost:8080" || !c.IsSQLite() {
		t.Fatalf("defaults: %+v", c)
	}
	if want := "sqlite:" + filepath.Join("data", "agora.db"); c.DatabaseURL != want {
		t.Fatalf("database URL %q, want %q", c.DatabaseURL, want)
	}
	if c.TallyInterval != 100*time.Millisecond || c.PhoneInterval != time.Second {
		t.Fatalf("tally intervals %v and %v", c.TallyInterval, c.PhoneInterval)
	}
}

func TestParseConfig_FlagWinsOverEnv(t *testing.T) {
	env := envOf(map[string]string{"AGORA_ADDR": ":9000", "AGORA_TALLY_INTERVAL": "250ms", "AGORA_DEV": "true"})
	c, _, err := ParseConfig("agora", []string{"-addr", ":7000"}, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7000" {
		t.Errorf("addr %q: the flag must win", c.Addr)
	}
	if c.TallyInterval != 250*time.Millisecond || !c.Dev {
		t.Errorf("env not applied: %+v", c)
	}
	if c.PublicURL != "http://localhost:7000" {
		t.Errorf("public URL %q", c.PublicURL)
	}
}

func TestParseConfig_DatabaseURLAliases(t *testing.T) {
	pg := "postgres://u@h/db"
	c, _, err := ParseConfig("agora", nil, envOf(map[string]string{"DATABASE_URL": pg, "REDIS_URL": "redis://h:6379"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != pg || c.IsSQLite() || c.RedisURL != "redis://h:6379" {
		t.Fatalf("got %+v", c)
	}
	c, _, err = ParseConfig("agora", nil, envOf(map[string]string{"DATABASE_URL": pg, "AGORA_DATABASE_URL": "postgres://other/db"}), &bytes.Buffer{})
	if err != nil || c.DatabaseURL != "postgres://other/db" {
		t.Fatalf("AGORA_DATABASE_URL must win over DATABASE_URL: %v %+v", err, c)
	}
}

func TestParseConfig_SecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("s3cret-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"AGORA_ADMIN_EMAIL": "a@example.fr", "AGORA_ADMIN_PASSWORD_FILE": path})
	c, _, err := ParseConfig("agora", nil, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminPassword != "s3cret-password" {
		t.Fatalf("password %q", c.AdminPassword)
	}
}

func TestParseConfig_Refuses(t *testing.T) {
	cases := map[string]map[string]string{
		"redis with sqlite":   {"REDIS_URL": "redis://127.0.0.1:6379"},
		"admin email alone":   {"AGORA_ADMIN_EMAIL": "a@example.fr"},
		"bad public URL":      {"AGORA_PUBLIC_URL": "ftp://x"},
		"bad duration":        {"AGORA_TALLY_INTERVAL": "soon"},
		"zero tally interval": {"AGORA_TALLY_INTERVAL": "0s"},
		"bad bool":            {"AGORA_DEV": "maybe"},
		"bad log format":      {"AGORA_LOG_FORMAT": "xml"},
		"missing secret file": {"AGORA_DATABASE_URL_FILE": "/nonexistent/file"},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ParseConfig("agora", nil, envOf(env), &bytes.Buffer{}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestParseConfig_HelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, _, err := ParseConfig("agora serve", []string{"-h"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, s := range (&Config{}).settings() {
		if !strings.Contains(out.String(), "-"+s.flag) {
			t.Errorf("help lacks -%s", s.flag)
		}
		for _, e := range s.env {
			if !strings.Contains(out.String(), "$"+e) {
				t.Errorf("help lacks $%s", e)
			}
		}
	}
}
