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
	"Logged out %d other session(s).": {
		"%d autre(s) session(s) fermée(s).", "%d andere Sitzung(en) abgemeldet."},
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
