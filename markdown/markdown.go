// Package markdown turns citizens' and organisers' Markdown into HTML that
// is safe to put in a page. It is the only place where user text becomes
// template.HTML: goldmark renders it with raw HTML shown as text, then
// bluemonday's UGC policy keeps only harmless elements and http, https and
// mailto links.
package markdown

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// md renders CommonMark with strikethrough and bare links. html.WithUnsafe
// stays off, and textRenderer shows raw HTML as the text it was typed as.
var md = goldmark.New(
	goldmark.WithExtensions(extension.Strikethrough, extension.Linkify),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(textRenderer{}, 100))),
)

// policy is bluemonday's policy for user content: links only to http,
// https and mailto (relative ones too), marked nofollow.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(true)
	return p
}()

// Render returns src, Markdown, as sanitised HTML. Raw HTML in src is
// shown as text, images become links, and headings start at <h3> so
// that they stay below the page's own.
func Render(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark fails only on a failing writer; bytes.Buffer never does.
		return template.HTML(template.HTMLEscapeString(src))
	}
	out := policy.SanitizeBytes(buf.Bytes())
	// bluemonday adds noopener only with target=_blank; links stay in the
	// tab (no surprise for screen-reader users) but get it anyway. Text
	// cannot hold `rel="nofollow"`: bluemonday escapes quotes in text.
	return template.HTML(strings.ReplaceAll(string(out), `rel="nofollow"`, `rel="nofollow noopener"`))
}

// headingShift moves headings two levels down: a citizen's "# Title" is
// an <h3> in a page whose own headings are <h1> and <h2>.
type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+2, 6)
		}
		return ast.WalkContinue, nil
	})
}

// textRenderer writes raw HTML (inline and blocks) escaped, as the text
// the author typed, and images as plain links to them: no tracking pixels,
// nothing the page's CSP would refuse anyway.
type textRenderer struct{}

func (textRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
	reg.Register(ast.KindImage, renderImage)
}

func renderRawHTML(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := n.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			_, _ = w.Write(util.EscapeHTML(seg.Value(src)))
		}
	}
	return ast.WalkSkipChildren, nil
}

func renderHTMLBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.HTMLBlock)
	if entering {
		_, _ = w.WriteString("<p>")
		lines := n.Lines()
		for i := range lines.Len() {
			line := lines.At(i)
			_, _ = w.Write(util.EscapeHTML(line.Value(src)))
		}
		return ast.WalkContinue, nil
	}
	if n.HasClosure() {
		_, _ = w.Write(util.EscapeHTML(n.ClosureLine.Value(src)))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

func renderImage(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	if entering {
		_, _ = w.WriteString(`<a href="`)
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
		_, _ = w.WriteString(`">`)
		return ast.WalkContinue, nil // the alt text, as text
	}
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}
