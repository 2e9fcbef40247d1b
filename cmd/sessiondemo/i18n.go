package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Languages and themes a visitor can pick, in the order the form shows them.
var (
	languages = []option{{"en", "English"}, {"fr", "Français"}, {"de", "Deutsch"}}
	themes    = []option{{"light", "Light"}, {"dark", "Dark"}}
)

type option struct{ Value, Label string }

func validOption(opts []option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// translations maps an English UI string to its French and German forms.
// A string missing here is shown in English.
var translations = map[string][2]string{
	"Shop":                       {"Boutique", "Laden"},
	"Cart":                       {"Panier", "Warenkorb"},
	"Preferences":                {"Préférences", "Einstellungen"},
	"Inspector":                  {"Inspecteur", "Inspektor"},
	"Devices":                    {"Appareils", "Geräte"},
	"Log in":                     {"Se connecter", "Anmelden"},
	"Log out":                    {"Se déconnecter", "Abmelden"},
	"Add to cart":                {"Ajouter au panier", "In den Warenkorb"},
	"Your cart":                  {"Votre panier", "Ihr Warenkorb"},
	"Your cart is empty.":        {"Votre panier est vide.", "Ihr Warenkorb ist leer."},
	"Browse the shop":            {"Voir la boutique", "Zum Laden"},
	"Product":                    {"Produit", "Produkt"},
	"Price":                      {"Prix", "Preis"},
	"Quantity":                   {"Quantité", "Menge"},
	"Subtotal":                   {"Sous-total", "Zwischensumme"},
	"Total":                      {"Total", "Summe"},
	"Update":                     {"Mettre à jour", "Aktualisieren"},
	"Remove":                     {"Retirer", "Entfernen"},
	"Save":                       {"Enregistrer", "Speichern"},
	"Theme":                      {"Thème", "Design"},
	"Language":                   {"Langue", "Sprache"},
	"Light":                      {"Clair", "Hell"},
	"Dark":                       {"Sombre", "Dunkel"},
	"Username":                   {"Nom d'utilisateur", "Benutzername"},
	"Password":                   {"Mot de passe", "Passwort"},
	"Remember me":                {"Se souvenir de moi", "Angemeldet bleiben"},
	"in cart":                    {"dans le panier", "im Warenkorb"},
	"Hello, %s":                  {"Bonjour, %s", "Hallo, %s"},
	"Added %s to your cart.":     {"%s a été ajouté au panier.", "%s liegt jetzt im Warenkorb."},
	"Removed %s from your cart.": {"%s a été retiré du panier.", "%s wurde aus dem Warenkorb entfernt."},
	"Updated %s: %d in your cart.": {
		"%s mis à jour : %d dans le panier.", "%s aktualisiert: %d im Warenkorb."},
	"Welcome back, %s!": {"Bon retour, %s !", "Willkommen zurück, %s!"},
	"Unknown user name or wrong password.": {
		"Utilisateur inconnu ou mot de passe incorrect.", "Unbekannter Benutzer oder falsches Passwort."},
	"You have been logged out.": {"Vous êtes déconnecté.", "Sie wurden abgemeldet."},
	"Preferences saved.":        {"Préférences enregistrées.", "Einstellungen gespeichert."},
	"That product does not exist.": {
		"Ce produit n'existe pas.", "Dieses Produkt gibt es nicht."},
	"Quantities go from 0 to %d.": {"Les quantités vont de 0 à %d.", "Mengen gehen von 0 bis %d."},
	"Logged out %d other session.": {
		"%d autre session fermée.", "%d andere Sitzung abgemeldet."},
	"Logged out %d other sessions.": {
		"%d autres sessions fermées.", "%d andere Sitzungen abgemeldet."},
	"Logged out every other browser.": {
		"Tous les autres navigateurs sont déconnectés.", "Alle anderen Browser abgemeldet."},
	"Too many login attempts. Try again in %d seconds.": {
		"Trop de tentatives de connexion. Réessayez dans %d secondes.",
		"Zu viele Anmeldeversuche. Versuchen Sie es in %d Sekunden erneut."},
	"Too many logins are being checked right now. Try again in a moment.": {
		"Trop de connexions sont en cours de vérification. Réessayez dans un instant.",
		"Gerade werden zu viele Anmeldungen geprüft. Versuchen Sie es gleich noch einmal."},
	"There is no page at %s.": {"Il n'y a pas de page à l'adresse %s.", "Unter %s gibt es keine Seite."},
	"This form has expired or did not come from this site. Reload the page and try again.": {
		"Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et réessayez.",
		"Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Laden Sie die Seite neu und versuchen Sie es noch einmal."},
	"The form could not be read.": {"Le formulaire n'a pas pu être lu.", "Das Formular konnte nicht gelesen werden."},
	"Unknown theme or language.":  {"Thème ou langue inconnus.", "Unbekanntes Design oder unbekannte Sprache."},
	"The session store did not answer; try again in a moment.": {
		"Le stockage des sessions ne répond pas ; réessayez dans un instant.",
		"Der Sitzungsspeicher antwortet nicht; versuchen Sie es gleich noch einmal."},
	"The session store did not answer; your other devices are still logged in.": {
		"Le stockage des sessions ne répond pas ; vos autres appareils sont toujours connectés.",
		"Der Sitzungsspeicher antwortet nicht; Ihre anderen Geräte sind noch angemeldet."},
}

// trn translates the singular or plural form for n and applies n.
// English, French and German all use "one" for exactly 1 (French also for
// 0, which the demo never shows).
func trn(lang string, n int, one, other string) string {
	if n == 1 {
		return tr(lang, one, n)
	}
	return tr(lang, other, n)
}

// tr translates format into lang and applies args.
func tr(lang, format string, args ...any) string {
	if t, ok := translations[format]; ok {
		switch lang {
		case "fr":
			format = t[0]
		case "de":
			format = t[1]
		}
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// money formats cents as euros the way lang writes them.
func money(lang string, cents int64) string {
	sign, u := "", uint64(cents)
	if cents < 0 {
		sign, u = "−", -u // two's complement: exact even for math.MinInt64
	}
	euros, rest := strconv.FormatUint(u/100, 10), u%100
	switch lang {
	case "fr":
		return fmt.Sprintf("%s%s,%02d\u00a0€", sign, groupThousands(euros, "\u202f"), rest)
	case "de":
		return fmt.Sprintf("%s%s,%02d\u00a0€", sign, groupThousands(euros, "."), rest)
	}
	return fmt.Sprintf("%s€%s.%02d", sign, groupThousands(euros, ","), rest)
}

func groupThousands(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
