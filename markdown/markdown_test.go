package markdown

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // substrings of the output
		wantNot []string // never in the output (case-insensitive)
	}{
		{"paragraphs", "Premier.\n\nSecond.", []string{"<p>Premier.</p>", "<p>Second.</p>"}, nil},
		{"emphasis and lists", "*a* **b** ~~c~~\n\n- un\n- deux", []string{"<em>a</em>", "<strong>b</strong>", "<del>c</del>", "<li>un</li>"}, nil},
		{"raw inline html is text", "Second <b>gras</b>.", []string{"<p>Second &lt;b&gt;gras&lt;/b&gt;.</p>"}, []string{"<b>"}},
		{"script block is text", "<script>alert(1)</script>", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script"}},
		{"script inline", "x <script>alert(1)</script> y", []string{"&lt;script&gt;"}, []string{"<script"}},
		{"onerror attribute", `<img src=x onerror="alert(1)">`, []string{"&lt;img"}, []string{"<img", `onerror="`}},
		{"javascript link", "[clic](javascript:alert(1))", []string{"clic"}, []string{`href="javascript`, "<a"}},
		{"javascript link with entities", "[clic](jav&#x61;script:alert(1))", []string{"clic"}, []string{"href"}},
		{"javascript link upper case", "[clic](JAVASCRIPT:alert(1))", []string{"clic"}, []string{"href"}},
		{"javascript autolink", "<javascript:alert(1)>", nil, []string{"href"}},
		{"data url", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", nil, []string{"href"}},
		{"data image", "![x](data:image/svg+xml;base64,PHN2Zz4=)", nil, []string{"<img", "href"}},
		{"vbscript", "[x](vbscript:msgbox(1))", nil, []string{"href"}},
		{"http link", "[site](https://example.fr/a?b=1&c=2)", []string{`<a href="https://example.fr/a?b=1&amp;c=2" rel="nofollow noopener">site</a>`}, nil},
		{"mailto link", "[écrire](mailto:mairie@example.fr)", []string{`href="mailto:mairie@example.fr"`}, nil},
		{"bare link", "voir https://example.fr/plan", []string{`<a href="https://example.fr/plan" rel="nofollow noopener">`}, nil},
		{"image becomes link", "![plan](https://example.fr/p.png)", []string{`<a href="https://example.fr/p.png" rel="nofollow noopener">plan</a>`}, []string{"<img"}},
		{"entities stay text", "&lt;script&gt; &amp; &#60;b&#62;", []string{"&lt;script&gt; &amp; &lt;b&gt;"}, []string{"<script", "<b>"}},
		{"nested markdown in link", "[**gras** *it*](https://example.fr)", []string{"<strong>gras</strong>", "<em>it</em>"}, nil},
		{"markdown hiding html", "**<svg onload=alert(1)>**", []string{"&lt;svg onload=alert(1)&gt;"}, []string{"<svg"}},
		{"link title attribute quote", `[x](https://example.fr "a\" onmouseover=\"alert(1)")`, nil, []string{` onmouseover=`}},
		{"headings shift", "# Titre\n\n#### Bas", []string{"<h3>Titre</h3>", "<h6>Bas</h6>"}, []string{"<h1"}},
		{"iframe", `<iframe src="https://evil.example"></iframe>`, []string{"&lt;iframe"}, []string{"<iframe"}},
		{"style", "<style>body{display:none}</style>", nil, []string{"<style"}},
		{"code keeps text", "`<b>x</b>`", []string{"<code>&lt;b&gt;x&lt;/b&gt;</code>"}, nil},
		{"empty", "", nil, []string{"<"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Render(tc.src))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, lacks %q", tc.src, got, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("Render(%q) = %q, holds %q", tc.src, got, w)
				}
			}
			checkSafe(t, tc.src, got)
		})
	}
}

// allowed are the elements Render may produce.
var allowed = map[string]bool{
	"p": true, "a": true, "em": true, "strong": true, "del": true, "code": true, "pre": true,
	"ul": true, "ol": true, "li": true, "blockquote": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "hr": true, "br": true,
}

// checkSafe fails t when out holds a script tag, an element outside the
// allowed list, an event handler, or a URL attribute that is not http,
// https, mailto or relative. "javascript:" as visible text is harmless
// and allowed: it is text, escaped, never a URL.
func checkSafe(t testing.TB, src, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("Render(%q) = %q: holds <script", src, out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowed[tok.Data] {
				t.Fatalf("Render(%q) = %q: element <%s>", src, out, tok.Data)
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				switch key {
				case "href":
					v := strings.ToLower(strings.TrimSpace(a.Val))
					if i := strings.IndexAny(v, ":/?#"); i >= 0 && v[i] == ':' &&
						!strings.HasPrefix(v, "http:") && !strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "mailto:") {
						t.Fatalf("Render(%q) = %q: href %q", src, out, a.Val)
					}
				case "rel", "title", "start":
				default:
					t.Fatalf("Render(%q) = %q: attribute %s", src, out, a.Key)
				}
			}
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"<script>alert(1)</script>", "[a](javascript:alert(1))", "![a](data:x)", "<img src=x onerror=alert(1)>",
		"[a](JaVaScRiPt:alert(1))", "[a](java\tscript:x)", "<a href=\"javascript:x\">a</a>", "*[a](java&#115;cript:x)*",
		"# t\n\n> q\n\n```\n<script>\n```", "<<script>script>", "[a](<javascript:x>)", "<javascript:alert(1)>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(Render(src))
		checkSafe(t, src, out)
	})
}
