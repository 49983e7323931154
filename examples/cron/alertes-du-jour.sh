#!/bin/sh
# Alertes du jour : lance `pipe alerts` sur les alertes nouvelles (ou à
# rappeler) et envoie à chaque commercial la liste des siennes, et à la
# direction la liste complète. Voir docs/alerts.md.
#
# À lancer depuis le dossier de pipeline.toml (ou avec PIPE_CONFIG).
# Réglages, par variables d'environnement :
#   PIPE       la commande pipe                              (pipe)
#   ALERTES    le dossier de travail                         (./alertes)
#   ANNUAIRE   qui reçoit quoi : lignes « fichier adresse »  ($ALERTES/destinataires)
# Sans la commande `mail`, ou sans adresse pour une liste, la liste est
# affichée : cron l'envoie alors à MAILTO.
set -eu

PIPE=${PIPE:-pipe}
ALERTES=${ALERTES:-./alertes}
ANNUAIRE=${ANNUAIRE:-$ALERTES/destinataires}
JOUR=$(date +%Y-%m-%d)
SORTIE=$ALERTES/$JOUR

mkdir -p "$ALERTES"
# Un dossier neuf chaque jour : `pipe` n'y écrit que les listes non vides.
rm -rf "$SORTIE"

# --new-only : seulement ce qui n'a pas encore été signalé, et les alertes
# toujours ouvertes au bout de `realert_after` ; l'état est gardé dans
# etat.json. Code 7 : une alerte critique est ouverte (signalée ou non).
code=0
"$PIPE" alerts --new-only --state "$ALERTES/etat.json" \
    --split-by owner --out-dir "$SORTIE" --format md \
    --fail-on critical 2>"$ALERTES/pipe.log" || code=$?
case $code in
    0 | 7) ;;
    *)
        cat "$ALERTES/pipe.log" >&2
        echo "pipe alerts a échoué (code $code) : aucune liste envoyée." >&2
        exit "$code"
        ;;
esac

[ -d "$SORTIE" ] || exit 0 # rien de nouveau aujourd'hui

adresse() { # nom de fichier sans extension -> adresse, d'après l'annuaire
    [ -f "$ANNUAIRE" ] || return 0
    awk -v k="$1" '$1 == k { print $2; exit }' "$ANNUAIRE"
}

envoyer() { # fichier adresse sujet
    if [ -n "$2" ] && command -v mail >/dev/null 2>&1; then
        mail -s "$3" "$2" <"$1"
    else
        printf '==== %s (%s)\n\n' "$3" "${2:-pas de destinataire}"
        cat "$1"
        echo
    fi
}

for liste in "$SORTIE"/*.md; do
    nom=$(basename "$liste" .md)
    case $nom in
        _all)
            sujet="Alertes pipeline du $JOUR : toutes"
            [ "$code" = 7 ] && sujet="[critique] $sujet"
            ;;
        _unassigned) sujet="Alertes pipeline du $JOUR : affaires sans commercial" ;;
        *) sujet="Alertes pipeline du $JOUR" ;;
    esac
    envoyer "$liste" "$(adresse "$nom")" "$sujet"
done
