package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestParseConfig_SMTP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "smtp-pw")
	if err := os.WriteFile(path, []byte("relay-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"AGORA_SMTP_ADDR": "smtp.example.fr:587", "AGORA_SMTP_USER": "agora",
		"AGORA_SMTP_PASSWORD_FILE": path, "AGORA_SMTP_FROM": "agora@mairie.example.fr"})
	c, _, err := ParseConfig("agora", nil, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "smtp.example.fr:587" || c.SMTPUser != "agora" || c.SMTPPassword != "relay-secret" || c.SMTPFrom != "agora@mairie.example.fr" {
		t.Fatalf("config %+v", c)
	}
	if got := NewMain(c, &bytes.Buffer{}).serverConfig(); got.SMTPAddr != c.SMTPAddr || got.SMTPPassword != "relay-secret" || got.SMTPFrom != c.SMTPFrom {
		t.Fatalf("server config %+v", got)
	}
	for name, env := range map[string]map[string]string{
		"no port":        {"AGORA_SMTP_ADDR": "smtp.example.fr"},
		"user, no relay": {"AGORA_SMTP_USER": "agora"},
		"from, no relay": {"AGORA_SMTP_FROM": "a@example.fr"},
		"malformed from": {"AGORA_SMTP_ADDR": "smtp.example.fr:25", "AGORA_SMTP_FROM": "Agora <a@example.fr>"},
		"header in from": {"AGORA_SMTP_ADDR": "smtp.example.fr:25", "AGORA_SMTP_FROM": "a@example.fr\r\nBcc: b@example.fr"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ParseConfig("agora", nil, envOf(env), &bytes.Buffer{}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
