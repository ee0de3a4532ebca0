package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/server"
)

// runAdmin manages accounts from the command line: agora admin create.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: agora admin create -email E -name N [-role admin|moderator|facilitator|citizen]")
	}
	var email, name, role string
	cfg, _, err := ParseConfig("agora admin create", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email of the account")
		fs.StringVar(&name, "name", "Admin", "display name")
		fs.StringVar(&role, "role", string(agora.RoleAdmin), "admin, moderator, facilitator or citizen")
	})
	if err != nil {
		return err
	}
	if !agora.Role(role).Valid() {
		return fmt.Errorf("unknown role %q", role)
	}
	password, err := readPassword(getenv, os.Stdin)
	if err != nil {
		return err
	}
	m := NewMain(cfg, stderr)
	db, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := server.CreateAccount(ctx, db, email, name, password, agora.Role(role))
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	fmt.Fprintf(stdout, "created %s %s (id %d)\n", u.Role, u.Email, u.ID)
	return nil
}

// readPassword takes the password from $AGORA_PASSWORD or the first line of
// stdin, never from a flag: flags show up in process listings.
func readPassword(getenv func(string) string, stdin io.Reader) (string, error) {
	if p := getenv("AGORA_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("password: set $AGORA_PASSWORD or write it on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
