package agora

import "strings"

// stopWordList holds the French and English words that carry no meaning on
// their own in a word cloud: articles, pronouns, prepositions, conjunctions
// and auxiliaries. It is written with accents for the reader and folded at
// start-up, so it always agrees with NormalizeWord.
//
// Left out on purpose, because an entry made of them alone means something:
// oui, non, yes, no, plus, moins, bien, mal, été (summer), son (sound),
// car (a coach in French, a car in English), fait, may (the month), us.
const stopWordList = `
à au aux avec ce ces cet cette ceci cela ça celui celle ceux celles chez
comme dans de des du dont elle elles en entre et eux il ils je la le les
leur leurs lui ma mais me mes moi mon même ne ni nos notre nous on ou où
par pas pour qu que quel quelle quels quelles qui quoi sa sans se ses si
sous sur ta te tes toi ton tu un une vers vos votre vous y
c d j l m n s t
est sont suis es êtes sommes ai as avons avez ont était étaient sera seront
être avoir donc puis alors ainsi afin lors depuis pendant selon chaque
aucun aucune tout tous toute toutes très aussi quand lequel laquelle
a an the and or nor but if of to in on at by for from with without into
about as is are was were be been being am has have had does did
i me my mine you your yours he him his she her hers it its we our ours
they them their theirs this that these those what which who whom whose
when where why how than then there here so very just also all any each
`

// stopWords is stopWordList folded, for allocation-free lookups.
var stopWords = foldStopWords(stopWordList)

func foldStopWords(list string) map[string]struct{} {
	set := make(map[string]struct{})
	for _, w := range strings.Fields(list) {
		set[string(appendFolded(nil, w))] = struct{}{}
	}
	return set
}

// isStopWord reports whether a folded token is a stop word.
func isStopWord(tok []byte) bool {
	_, ok := stopWords[string(tok)]
	return ok
}
