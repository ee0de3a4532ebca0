package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the agora binary. Each field has a flag and an
// AGORA_* environment variable; a flag given on the command line wins.
type Config struct {
	Addr            string        // address to listen on
	PublicURL       string        // address people reach; "" derives http://localhost{Addr}
	DataDir         string        // folder for the SQLite file and other local state
	DatabaseURL     string        // postgres://… or sqlite:PATH; "" is SQLite in DataDir
	RedisURL        string        // redis://…; "" keeps the hub in-process (one node)
	AdminEmail      string        // first admin, created at start if no admin exists
	AdminPassword   string        // its password (also AGORA_ADMIN_PASSWORD_FILE)
	TrustedProxies  string        // comma-separated IPs/CIDRs whose X-Forwarded-For is believed
	TallyInterval   time.Duration // live results go out at most once per interval
	PhoneInterval   time.Duration // the same, to participants' phones
	VoteBatch       time.Duration // votes wait this long to commit together; 0 commits each alone
	SessionTTL      time.Duration // how long a sign-in lasts
	ShutdownTimeout time.Duration // graceful drain on SIGTERM
	Retention       time.Duration // personal data older than this is erased by the hourly sweep; 0 keeps it
	LogLevel        string        // debug, info, warn, error
	LogFormat       string        // text or json
	Dev             bool          // read templates and static files from disk
	PprofAddr       string        // serves Go's profiler there when set (loopback only)
	SMTPAddr        string        // mail relay host:port for password reset links; "" logs them
	SMTPUser        string        // relay user; "" sends without authentication
	SMTPPassword    string        // relay password (also AGORA_SMTP_PASSWORD_FILE)
	SMTPFrom        string        // sender address; "" is noreply@ the public host
	FloodRate       int           // per-address flood guard: requests per second; negative: off
	FloodBurst      int           // per-address flood guard: requests at once
}

// defaultRetention is how long personal data is kept: one year.
const defaultRetention = 365 * 24 * time.Hour

// setting ties one Config field to its flag and environment variable.
type setting struct {
	flag    string
	env     []string // the first one set wins; AGORA_* first
	usage   string
	secret  bool // also read from ENV_FILE
	bind    func(fs *flag.FlagSet)
	fromEnv func(string) error
}

func (c *Config) settings() []setting {
	return []setting{
		strSetting(&c.Addr, "addr", ":8080", "address to listen on", "AGORA_ADDR"),
		strSetting(&c.PprofAddr, "pprof-addr", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; keep it on loopback (default off)", "AGORA_PPROF_ADDR"),
		strSetting(&c.PublicURL, "public-url", "", "public address encoded in QR codes and checked as WebSocket origin (default http://localhost plus the port)", "AGORA_PUBLIC_URL"),
		strSetting(&c.DataDir, "data-dir", "data", "folder for the SQLite database", "AGORA_DATA_DIR"),
		secretSetting(strSetting(&c.DatabaseURL, "database-url", "", "postgres://… or sqlite:PATH (default SQLite in the data folder)", "AGORA_DATABASE_URL", "DATABASE_URL")),
		secretSetting(strSetting(&c.RedisURL, "redis-url", "", "redis://… to share rooms between several nodes (default in-process)", "AGORA_REDIS_URL", "REDIS_URL")),
		strSetting(&c.AdminEmail, "admin-email", "", "email of the first admin, created at start when no admin exists", "AGORA_ADMIN_EMAIL"),
		secretSetting(strSetting(&c.AdminPassword, "admin-password", "", "password of that first admin", "AGORA_ADMIN_PASSWORD")),
		strSetting(&c.TrustedProxies, "trusted-proxies", "", "comma-separated proxy IPs or CIDRs whose X-Forwarded-For is trusted", "AGORA_TRUSTED_PROXIES"),
		durSetting(&c.TallyInterval, "tally-interval", 100*time.Millisecond, "live results are sent at most once per interval", "AGORA_TALLY_INTERVAL"),
		durSetting(&c.PhoneInterval, "phone-tally-interval", time.Second, "live results and answer counts are sent to participants' phones at most once per interval (the projector and dashboard follow -tally-interval)", "AGORA_PHONE_TALLY_INTERVAL"),
		durSetting(&c.VoteBatch, "vote-batch", 2*time.Millisecond, "room votes arriving together are committed in one transaction, waiting up to this long for more (group commit; each is acknowledged only once committed; 0: one commit per vote)", "AGORA_VOTE_BATCH"),
		durSetting(&c.SessionTTL, "session-ttl", 30*24*time.Hour, "how long a sign-in lasts", "AGORA_SESSION_TTL"),
		durSetting(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to drain on SIGTERM", "AGORA_SHUTDOWN_TIMEOUT"),
		durSetting(&c.Retention, "retention", defaultRetention, "personal data older than this is erased by the hourly sweep: participants' nicknames and device tokens of workshops ended that long ago, used or expired one-time links (0: keep)", "AGORA_RETENTION"),
		strSetting(&c.LogLevel, "log-level", "info", "debug, info, warn or error", "AGORA_LOG_LEVEL"),
		strSetting(&c.LogFormat, "log-format", "text", "text or json", "AGORA_LOG_FORMAT"),
		boolSetting(&c.Dev, "dev", false, "read templates and static files from disk (development)", "AGORA_DEV"),
		strSetting(&c.SMTPAddr, "smtp-addr", "", "SMTP relay host:port that sends password reset links (default none: links go to the log)", "AGORA_SMTP_ADDR"),
		strSetting(&c.SMTPUser, "smtp-user", "", "SMTP user (default none: no authentication)", "AGORA_SMTP_USER"),
		secretSetting(strSetting(&c.SMTPPassword, "smtp-password", "", "SMTP password", "AGORA_SMTP_PASSWORD")),
		strSetting(&c.SMTPFrom, "smtp-from", "", "sender address of the mails (default noreply@ the public host)", "AGORA_SMTP_FROM"),
		intSetting(&c.FloodRate, "flood-rate", 50, "flood guard: sustained requests per second per client address (negative: off)", "AGORA_FLOOD_RATE"),
		intSetting(&c.FloodBurst, "flood-burst", 20000, "flood guard: requests at once per client address; joins per address per minute are a quarter of it", "AGORA_FLOOD_BURST"),
	}
}

func strSetting(p *string, name, def, usage string, env ...string) setting {
	return setting{flag: name, env: env, usage: usage,
		bind:    func(fs *flag.FlagSet) { fs.StringVar(p, name, def, usage) },
		fromEnv: func(v string) error { *p = v; return nil }}
}

func durSetting(p *time.Duration, name string, def time.Duration, usage string, env ...string) setting {
	return setting{flag: name, env: env, usage: usage,
		bind: func(fs *flag.FlagSet) { fs.DurationVar(p, name, def, usage) },
		fromEnv: func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %w", env[0], err)
			}
			*p = d
			return nil
		}}
}

func intSetting(p *int, name string, def int, usage string, env ...string) setting {
	return setting{flag: name, env: env, usage: usage,
		bind: func(fs *flag.FlagSet) { fs.IntVar(p, name, def, usage) },
		fromEnv: func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: not a number: %q", env[0], v)
			}
			*p = n
			return nil
		}}
}

func boolSetting(p *bool, name string, def bool, usage string, env ...string) setting {
	return setting{flag: name, env: env, usage: usage,
		bind: func(fs *flag.FlagSet) { fs.BoolVar(p, name, def, usage) },
		fromEnv: func(v string) error {
			switch strings.ToLower(v) {
			case "1", "true", "yes", "on":
				*p = true
			case "0", "false", "no", "off", "":
				*p = false
			default:
				return fmt.Errorf("%s: not a boolean: %q", env[0], v)
			}
			return nil
		}}
}

func secretSetting(s setting) setting { s.secret = true; return s }

// lookupEnv returns the first set variable among s.env, reading NAME_FILE
// for secrets so they can come from mounted files.
func (s setting) lookupEnv(getenv func(string) string) (string, bool, error) {
	for _, name := range s.env {
		if v := getenv(name); v != "" {
			return v, true, nil
		}
		if !s.secret {
			continue
		}
		if path := getenv(name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", false, fmt.Errorf("%s_FILE: %w", name, err)
			}
			return strings.TrimSpace(string(b)), true, nil
		}
	}
	return "", false, nil
}

// ParseConfig fills a Config from args and the environment; a flag given
// in args wins over its variable. extra registers a subcommand's own flags.
// It returns flag.ErrHelp after printing the help for -h.
func ParseConfig(name string, args []string, getenv func(string) string, out io.Writer, extra ...func(*flag.FlagSet)) (*Config, []string, error) {
	c := &Config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	settings := c.settings()
	for _, s := range settings {
		s.bind(fs)
	}
	for _, register := range extra {
		register(fs)
	}
	fs.Usage = func() { printUsage(out, name, fs, settings) }
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range settings {
		if given[s.flag] {
			continue
		}
		v, ok, err := s.lookupEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			if err := s.fromEnv(v); err != nil {
				return nil, nil, err
			}
		}
	}
	return c, fs.Args(), c.finish()
}

func printUsage(out io.Writer, name string, fs *flag.FlagSet, settings []setting) {
	fmt.Fprintf(out, "Usage: %s [flags]\n\nEvery flag can also be set by the environment variable named after it;\na flag on the command line wins. Secrets also accept NAME_FILE.\n\n", name)
	for _, s := range settings {
		f := fs.Lookup(s.flag)
		def := ""
		if f.DefValue != "" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(out, "  -%s\t%s%s\n    \t$%s\n", s.flag, s.usage, def, strings.Join(s.env, ", $"))
	}
}

// finish derives defaults and refuses combinations that cannot work.
func (c *Config) finish() error {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "agora.db")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost" + portOf(c.Addr)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("public URL %q: want http(s)://host[:port]", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.RedisURL != "" && c.IsSQLite() {
		return errors.New("REDIS_URL is set but the database is SQLite: several nodes cannot share one SQLite file; set DATABASE_URL to Postgres")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return errors.New("set both AGORA_ADMIN_EMAIL and AGORA_ADMIN_PASSWORD, or neither")
	}
	if c.Retention < 0 {
		return errors.New("retention must be positive, or 0 to keep personal data")
	}
	if c.VoteBatch < 0 {
		return errors.New("vote batch must be positive, or 0 to commit each vote alone")
	}
	if c.TallyInterval <= 0 || c.PhoneInterval <= 0 {
		return errors.New("tally intervals must be positive")
	}
	if err := c.checkSMTP(); err != nil {
		return err
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	return nil
}

// IsSQLite reports whether the database is the embedded SQLite.
func (c *Config) IsSQLite() bool {
	return !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// portOf returns ":8080" for ":8080", "0.0.0.0:8080" and "localhost:8080".
func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ""
}

// checkSMTP refuses mail settings that cannot work: a relay without a
// port, credentials or a sender without a relay, a malformed sender.
func (c *Config) checkSMTP() error {
	if c.SMTPAddr == "" {
		if c.SMTPUser != "" || c.SMTPPassword != "" || c.SMTPFrom != "" {
			return errors.New("AGORA_SMTP_USER, AGORA_SMTP_PASSWORD or AGORA_SMTP_FROM is set without AGORA_SMTP_ADDR")
		}
		return nil
	}
	if host, port, err := net.SplitHostPort(c.SMTPAddr); err != nil || host == "" || port == "" {
		return fmt.Errorf("SMTP address %q: want host:port, e.g. smtp.example.fr:587", c.SMTPAddr)
	}
	if c.SMTPFrom != "" {
		if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || a.Address != c.SMTPFrom {
			return fmt.Errorf("SMTP sender %q: want a plain address, e.g. agora@mairie.example.fr", c.SMTPFrom)
		}
	}
	return nil
}
