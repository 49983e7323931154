#!/usr/bin/env python3
"""Generate the shipped example register and journal for `pipe`.

Writes, relative to the repository root:
  examples/prospects.csv  register: UTF-8 with BOM, ';' delimiter, CRLF
  examples/journal.csv    history:  UTF-8 without BOM, ',' delimiter, LF

Deterministic: fixed seed, standard library only, no dependency on the
current date ("today" for the example is fixed at 2026-11-27). Running it
twice produces identical bytes.

The stage ids, labels, lost reasons and product labels below mirror
pipeline.toml; keep them in sync if the method changes.

Deliberate anomalies (for alerts to find; every row still satisfies the
`requires` of its stage):
  * a Chaud deal whose decision was pushed back to 8 months out;
  * a Froid deal expected next month;
  * a Devis envoyé whose expected decision date is already past;
  * a deal stuck 200 days in Rendez-vous;
  * an À suivre deal with neither amount nor expected decision date;
  * two À qualifier deals and an old Suspect past their stale_after.

Usage: python3 scripts/make_example.py
"""

import csv
import datetime as dt
import os
import random

SEED = 20261127
TODAY = dt.date(2026, 11, 27)
FIRST_DAY = dt.date(2024, 1, 3)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTER = os.path.join(ROOT, "examples", "prospects.csv")
JOURNAL = os.path.join(ROOT, "examples", "journal.csv")

# --------------------------------------------------------------------------
# Method (mirror of pipeline.toml)
# --------------------------------------------------------------------------

STAGES = [
    ("suspect", "Suspect"),
    ("contacte", "Contacté"),
    ("a_qualifier", "À qualifier"),
    ("rendez_vous", "Rendez-vous"),
    ("a_suivre", "À suivre"),
    ("devis_envoye", "Devis envoyé"),
    ("chaud", "Chaud"),
    ("froid", "Froid"),
    ("gagne", "Gagné"),
    ("perdu", "Perdu"),
    ("sans_suite", "Sans suite"),
    ("client_actif", "Client actif"),
    ("client_inactif", "Client inactif"),
]
LABEL = dict(STAGES)

NEXT = {
    "suspect": ["contacte", "a_qualifier", "sans_suite"],
    "contacte": ["a_qualifier", "rendez_vous", "suspect", "sans_suite"],
    "a_qualifier": ["rendez_vous", "a_suivre", "froid", "perdu", "sans_suite"],
    "rendez_vous": ["a_suivre", "devis_envoye", "froid", "perdu", "sans_suite"],
    "a_suivre": ["devis_envoye", "chaud", "froid", "perdu", "sans_suite"],
    "devis_envoye": ["chaud", "a_suivre", "froid", "gagne", "perdu", "sans_suite"],
    "chaud": ["gagne", "perdu", "devis_envoye", "a_suivre", "froid", "sans_suite"],
    "froid": ["a_suivre", "devis_envoye", "chaud", "a_qualifier", "perdu", "sans_suite"],
    "gagne": ["client_actif"],
    "perdu": ["a_qualifier"],
    "sans_suite": ["a_qualifier"],
    "client_actif": ["client_inactif"],
    "client_inactif": ["client_actif"],
}

REQUIRES = {
    "suspect": ["company"],
    "contacte": ["company", "owner"],
    "a_qualifier": ["company", "name", "owner"],
    "rendez_vous": ["name", "owner", "next_action"],
    "a_suivre": ["name", "owner"],
    "devis_envoye": ["name", "owner", "amount", "expected_close", "products"],
    "chaud": ["name", "owner", "amount", "expected_close", "products"],
    "froid": ["owner"],
    "gagne": ["name", "owner", "amount", "products"],
    "perdu": ["owner", "lost_reason"],
    "sans_suite": ["lost_reason"],
    "client_actif": ["name", "owner"],
    "client_inactif": ["owner"],
}

LOST_REASONS = {
    "perdu": ["Prix", "Concurrent", "Délai de livraison",
              "Offre technique inadaptée", "Financement refusé",
              "Relation commerciale"],
    "sans_suite": ["Projet abandonné", "Pas de budget", "Injoignable",
                   "Entreprise rachetée ou fermée", "Hors cible"],
}

# id, label, typical amount range (EUR HT), weight
PRODUCTS = [
    ("machines_outils", "Machines-outils", 18000, 95000, 8),
    ("air_comprime", "Compresseurs et air comprimé", 6000, 38000, 9),
    ("contrat_maintenance", "Contrat de maintenance", 1800, 9600, 10),
    ("pieces_detachees", "Pièces détachées", 400, 6500, 5),
    ("formation", "Formation des opérateurs", 1200, 5400, 5),
    ("logiciel_gmao", "Logiciel de GMAO", 2400, 14000, 4),
    ("installation", "Installation et mise en service", 1500, 12000, 6),
    ("location", "Location de matériel", 900, 7800, 4),
    ("consommables", "Consommables et outillage", 300, 4800, 4),
    ("audit_conseil", "Audit et conseil", 1800, 9500, 4),
    ("retrofit", "Rétrofit de machines", 9000, 60000, 5),
    ("securite_machines", "Mise en conformité sécurité", 2500, 18000, 6),
]

DIRECTOR = "Hélène Vernay"
SALES = ["Julien Marchetti", "Sophie Lefèvre", "Karim Benali", "Élodie Garnier"]

# --------------------------------------------------------------------------
# Invented companies (name, city); any likeness to real firms is accidental.
# --------------------------------------------------------------------------

COMPANIES = [
    ("Fonderie du Forez", "Firminy"),
    ("Menuiserie Perrin & Fils", "Montbrison"),
    ("Transports Giraud", "Andrézieux-Bouthéon"),
    ("Boulangerie industrielle Morel", "Roanne"),
    ("Mécanique de précision Berthier", "Saint-Chamond"),
    ("Plasturgie de l'Ain", "Oyonnax"),
    ("Garage Faure Poids Lourds", "Feurs"),
    ("Imprimerie Lamartine", "Mâcon"),
    ("Chaudronnerie Vial", "Rive-de-Gier"),
    ("Coopérative laitière du Pilat", "Pélussin"),
    ("Scierie des Monts du Lyonnais", "Saint-Martin-en-Haut"),
    ("Décolletage Arvien", "Cluses"),
    ("Ateliers Roche Métal", "Saint-Étienne"),
    ("Brasserie de la Loire", "Saint-Étienne"),
    ("Carrosserie Delorme", "Villefranche-sur-Saône"),
    ("Tôlerie fine Chambon", "Le Chambon-Feugerolles"),
    ("Salaisons du Velay", "Le Puy-en-Velay"),
    ("Laboratoires Dermacia", "Lyon"),
    ("Cartonnages Bréchet", "Annonay"),
    ("Coutellerie Dumas-Thiernoise", "Thiers"),
    ("Usinage Rhodanien", "Vienne"),
    ("Alpes Transit Logistique", "Chambéry"),
    ("Papeterie du Haut-Lignon", "Le Chambon-sur-Lignon"),
    ("Charpentes Chartier", "Bourg-en-Bresse"),
    ("Galvaloire Traitements de surface", "Saint-Étienne"),
    ("SCOP Menuiseries du Gier", "Saint-Chamond"),
    ("Fromagerie Bertrand", "Saint-Flour"),
    ("Emballages Chassagne", "Roanne"),
    ("Électromécanique Pichon", "Clermont-Ferrand"),
    ("Agri-Services Montbrisonnais", "Montbrison"),
    ("Textiles Techniques du Rhône", "Villeurbanne"),
    ("Forges du Gier", "Lorette"),
    ("Garage Moderne Lacroix", "Firminy"),
    ("Verrerie Marcellin", "Saint-Marcellin"),
    ("Conserverie Rouvière", "Aubenas"),
    ("Mécasoud Industrie", "Andrézieux-Bouthéon"),
    ("Techniplan Ingénierie", "Grenoble"),
    ("Cuisines collectives du Roannais", "Roanne"),
    ("Ateliers Gauthier Maintenance", "Vénissieux"),
    ("Imprimerie Fayolle", "Yssingeaux"),
    ("Robinetterie Lebrun", "Rive-de-Gier"),
    ("Sablage industriel Dauphinois", "Voiron"),
    ("Matériaux Barou", "Boën-sur-Lignon"),
    ("Besson Bâtiment", "Saint-Just-Saint-Rambert"),
    ("Moulinage de l'Eyrieux", "Privas"),
    ("Transports frigorifiques Michaud", "Valence"),
    ("Confiserie Pralinor", "Saint-Étienne"),
    ("Pneus Service Forézien", "Feurs"),
    ("Ressorts Bonnard", "Saint-Étienne"),
    ("Vignobles Chazelle", "Trelins"),
    ("Reliure d'art Morin", "Lyon"),
    ("Plastiques Moulés Cévenols", "Annonay"),
    ("Ébénisterie Rochette", "Saint-Bonnet-le-Château"),
    ("Mécanique Agricole Jacquet", "Feurs"),
    ("Découpe Laser Ondaine", "Firminy"),
    ("Biscuiterie des Monts d'Or", "Limonest"),
    ("Câblerie Lyonnaise", "Décines-Charpieu"),
    ("Thermolaquage du Velay", "Brives-Charensac"),
    ("Ambulances Forez Secours", "Montbrison"),
    ("Menuiserie Alu Beaujolaise", "Belleville-en-Beaujolais"),
    ("Sellerie Gaillard", "Saint-Étienne"),
    ("Industries Pneumatiques Ravel", "Roanne"),
    ("Hydraulique Services Loire", "Saint-Priest-en-Jarez"),
    ("Cycles Mercier-Lavigne", "Saint-Étienne"),
    ("Tissages de Charlieu", "Charlieu"),
    ("Atelier Vélo-Cargo Riboud", "Lyon"),
    ("Béton Préfa Dauphiné", "Bourgoin-Jallieu"),
    ("Fromageries du Haut-Forez", "Noirétable"),
    ("Usinage Mécanique Chomat", "Saint-Genest-Lerpt"),
    ("Serrurerie Métallerie Pinay", "Saint-Chamond"),
    ("Chocolats Bouvier & Cie", "Clermont-Ferrand"),
    ("Laverie industrielle Blanchard", "Villeurbanne"),
    ("Meunerie Coste", "Ambert"),
    ("Ateliers du Lignon", "Chazelles-sur-Lignon"),
    ("Outillage Peyrard", "Le Chambon-Feugerolles"),
    ("Nettoyage Industriel Rhône-Loire", "Givors"),
    ("Distillerie des Gorges", "Saint-Victor-sur-Loire"),
    ("Armurerie Fournel", "Saint-Étienne"),
    ("Transports Seux & Fils", "Bourg-Argental"),
    ("Électricité Générale Barral", "Saint-Chamond"),
    ("Mécanique Aéro Forez", "Andrézieux-Bouthéon"),
    ("Maroquinerie Delaroche", "Romans-sur-Isère"),
    ("Chaussures Rivolier", "Romans-sur-Isère"),
    ("Polissage Ondaine", "Fraisses"),
    ("Joints et Étanchéité Thivel", "Saint-Étienne"),
    ("Cartonnerie du Beaujolais", "Villefranche-sur-Saône"),
    ("Scierie Faverjon", "Usson-en-Forez"),
    ("Laboratoire dentaire Sagnard", "Saint-Étienne"),
    ("Menuiserie industrielle Grangeon", "Sury-le-Comtal"),
    ("Soudure & Structures Piney", "Veauche"),
    ("Abattoir du Haut-Forez", "Boën-sur-Lignon"),
    ("Traiteur Guillot Réceptions", "Roanne"),
    ("Peintures Industrielles Chabanne", "Riorges"),
    ("Micro-Mécanique Tardy", "Cluses"),
    ("Automatismes Dauphinois", "Grenoble"),
    ("Recyclage Métaux Loire", "La Ricamarie"),
    ("Pépinières Gonon", "Saint-Galmier"),
    ("Carrières du Pilat", "Bourg-Argental"),
    ("Ateliers Mécaniques Crozet", "Unieux"),
    ("Tuyauterie Industrielle Rhodanienne", "Saint-Fons"),
    ("Bois & Palettes Morel-Ducreux", "Craintilleux"),
    ("Chaudières Service Montagny", "Montbrison"),
    ("Quincaillerie Industrielle Vérot", "Saint-Étienne"),
    ("Mécanique Générale Dorier", "Roche-la-Molière"),
    ("Ateliers de Tournage Sabot", "Saint-Just-Malmont"),
    ("Fabrications Métalliques Grail", "Montrond-les-Bains"),
]

FIRST_NAMES = [
    "Nathalie", "Jean-Pierre", "Sandrine", "Thierry", "Isabelle", "Christophe",
    "Valérie", "Laurent", "Céline", "Frédéric", "Aurélie", "Stéphane",
    "Émilie", "Olivier", "Séverine", "Nicolas", "Delphine", "Sébastien",
    "Karine", "Franck", "Magali", "Jérôme", "Patricia", "Yannick", "Mathieu",
    "Agnès", "Rémi", "Chloé", "Damien", "Laure", "Bruno", "Anne-Sophie",
    "Gilles", "Sylvie", "Benoît", "Camille", "Pascal", "Amandine", "Fabrice",
    "Virginie", "Hugo", "Manon", "Didier", "Fatima", "Mehdi", "Inès",
    "Thomas", "Léa", "Cédric", "Nadia", "Grégory", "Françoise", "Éric",
    "Lucie", "Antoine", "Maryline", "Joël", "Corinne", "Alexandre", "Sonia",
]
LAST_NAMES = [
    "Roux", "Chapuis", "Fournier", "Girard", "Mercier", "Bonnet", "Blanc",
    "Guérin", "Masson", "Perret", "Chevalier", "Barbier", "Collet",
    "Rivière", "Brunel", "Vidal", "Dumont", "Lambert", "Picard", "Rousset",
    "Chabert", "Gonon", "Jacquemond", "Thiollière", "Vallat", "Ferrand",
    "Peyron", "Royer", "Bouchet", "Grange", "Ollier", "Reynaud", "Dufour",
    "Poulard", "Mounier", "Duplay", "Bayle", "Chazal", "Rolland", "Martel",
    "Arnaud", "Lopez", "Nguyen", "Haddad", "Ferreira", "Da Silva", "Moreau",
    "Lacombe", "Souchon", "Epinat", "Montagnon", "Javelle", "Deville",
    "Bruyère", "Cellier", "Terrasse", "Mialon", "Bonnefoy", "Pralong",
]

ORIGINS = [
    "Salon Global Industrie", "Appel entrant", "Recommandation d'un client",
    "Formulaire du site web", "Prospection téléphonique",
    "Salon Industrie Lyon", "Apporteur d'affaires (CCI)", "Mailing automne",
]

NOTES = [
    "Rencontré au salon Global Industrie, stand de démonstration compresseurs",
    "Parc vieillissant : 3 tours, 2 fraiseuses et une presse plieuse, "
    "dont une machine de 1998",
    "Le client parle d'un \"budget serré\" pour l'exercice 2027",
    "Interlocuteurs :\nM. le responsable maintenance (technique)\n"
    "Service achats (décision finale)",
    "Site fermé en août, livraison impossible du 01/08 au 25/08.\n"
    "Prévoir un camion grue pour le déchargement.",
    "Concurrent déjà en place sur la maintenance, contrat échu en juin",
    "Demande d'un essai sur pièce client avant toute commande",
    "Financement par crédit-bail envisagé, voir avec la banque du client",
    "Accès atelier par la rue arrière, hauteur sous porte 3,20 m",
    "Ancien client de la société rachetée en 2023",
    "Subvention régionale \"Industrie du futur\" demandée, réponse attendue",
    "Très sensible au délai ; livraison avant fin de trimestre exigée",
    "Appels d'offres publics : passer par la plateforme de la collectivité",
    "Contact recommandé par Fonderie du Forez",
    "Deux sites de production, décision centralisée au siège",
    "Souhaite un contrat tout compris, pièces et main-d'œuvre",
    "Bonne relation avec le chef d'atelier, moins avec la direction",
    "Compresseur actuel à vis 37 kW, fuites importantes sur le réseau",
]

NEXT_ACTIONS = {
    "suspect": ["Identifier le responsable maintenance",
                "Appeler le standard pour obtenir un nom",
                "Envoyer le catalogue 2027", ""],
    "contacte": ["Envoyer la plaquette et proposer un rendez-vous",
                 "Rappeler le {d}", "Proposer une visite du showroom"],
    "a_qualifier": ["Qualifier le besoin par téléphone",
                    "Obtenir le plan de l'atelier",
                    "Identifier le décideur et le budget",
                    "Rappeler le {d}"],
    "rendez_vous": ["Rendez-vous sur site le {d}",
                    "Visite de l'atelier le {d}",
                    "Démonstration au showroom le {d}",
                    "Compte rendu de visite à envoyer avant le {d}"],
    "a_suivre": ["Chiffrer la solution", "Relancer le bureau d'études",
                 "Préparer le devis pour le {d}",
                 "Faire les relevés de consommation d'air",
                 "Obtenir le cahier des charges"],
    "devis_envoye": ["Relancer le devis le {d}",
                     "Point téléphonique sur le devis le {d}",
                     "Répondre aux questions techniques du client"],
    "chaud": ["Négocier les conditions de paiement",
              "Point décision avec la direction le {d}",
              "Faire signer le bon de commande",
              "Organiser l'essai sur pièce le {d}"],
    "froid": ["Relancer au printemps 2027", "Reprendre contact en janvier",
              "Surveiller l'attribution de la subvention", ""],
    "gagne": ["Planifier la livraison et la mise en service",
              "Transmettre le dossier au service technique", ""],
    "perdu": [""],
    "sans_suite": [""],
    "client_actif": ["Proposer le renouvellement du contrat de maintenance",
                     "Visite annuelle le {d}",
                     "Présenter l'offre de formation", ""],
    "client_inactif": ["Relancer : aucune commande depuis plus d'un an",
                       "Proposer un audit gratuit du parc", ""],
}

MOVE_NOTES = {
    "contacte": ["Premier appel", "Échange sur le salon", "Réponse au mailing"],
    "a_qualifier": ["Besoin exprimé : renouvellement du parc",
                    "Besoin pressenti lors de l'appel", ""],
    "rendez_vous": ["Visite d'atelier programmée", "Démonstration fixée", ""],
    "a_suivre": ["Relevés effectués sur site", "Cahier des charges reçu",
                 "Décision de poursuivre prise en réunion du lundi", ""],
    "devis_envoye": ["DEVIS"],
    "chaud": ["Essai concluant chez le client",
              "Décision en comité de direction",
              "Prescription obtenue auprès du bureau d'études", ""],
    "froid": ["", "Relance prévue l'an prochain"],
    "gagne": ["Bon de commande reçu", "Devis signé", "Accord par courriel, BC à suivre"],
    "perdu": ["", "Compte rendu transmis à la direction"],
    "sans_suite": [""],
    "client_actif": ["Livraison et mise en service effectuées",
                     "Contrat de maintenance démarré"],
    "client_inactif": ["Aucune commande depuis douze mois"],
}

FROID_REASONS = ["Investissement reporté", "Attente d'une subvention",
                 "Changement de direction", "Gel des budgets du groupe"]

# --------------------------------------------------------------------------
# Paths (each consecutive pair must be allowed by NEXT)
# --------------------------------------------------------------------------

AQ, RV, AS, DE = "a_qualifier", "rendez_vous", "a_suivre", "devis_envoye"
PATHS = {
    "suspect": [["suspect"]],
    "contacte": [["suspect", "contacte"], ["contacte"], ["contacte"]],
    "a_qualifier": [[AQ], [AQ], ["contacte", AQ], ["suspect", "contacte", AQ],
                    ["suspect", AQ]],
    "rendez_vous": [[AQ, RV], [AQ, RV], ["contacte", AQ, RV], ["contacte", RV],
                    ["suspect", "contacte", AQ, RV]],
    "a_suivre": [[AQ, RV, AS], [AQ, RV, AS], ["contacte", AQ, RV, AS],
                 [AQ, AS]],
    "devis_envoye": [[AQ, RV, AS, DE], [AQ, RV, DE],
                     ["contacte", AQ, RV, AS, DE], [AQ, AS, DE]],
    "chaud": [[AQ, RV, AS, DE, "chaud"], [AQ, RV, DE, "chaud"],
              [AQ, RV, AS, "chaud"]],
    "froid": [[AQ, RV, AS, "froid"], [AQ, RV, AS, DE, "froid"],
              [AQ, RV, "froid"]],
    "gagne": [[AQ, RV, AS, DE, "chaud", "gagne"], [AQ, RV, DE, "gagne"],
              ["contacte", AQ, RV, AS, DE, "gagne"], [AQ, RV, DE, "chaud", "gagne"]],
    "perdu": [[AQ, RV, AS, DE, "perdu"], [AQ, RV, DE, "chaud", "perdu"],
              [AQ, RV, "perdu"], [AQ, RV, DE, "perdu"]],
    "sans_suite": [["suspect", "contacte", "sans_suite"],
                   [AQ, RV, AS, "sans_suite"],
                   [AQ, RV, AS, "froid", "sans_suite"],
                   ["contacte", AQ, "sans_suite"], ["suspect", "sans_suite"]],
    "client_actif": [[AQ, RV, DE, "chaud", "gagne", "client_actif"],
                     [AQ, RV, AS, DE, "gagne", "client_actif"],
                     [AQ, RV, DE, "gagne", "client_actif"]],
    "client_inactif": [[AQ, RV, DE, "gagne", "client_actif", "client_inactif"],
                       [AQ, RV, AS, DE, "chaud", "gagne", "client_actif",
                        "client_inactif"]],
}

# stage: (count, since_ago range in days, time spent before reaching it)
PLAN = [
    ("suspect", 5, (2, 160), (0, 0)),
    ("contacte", 4, (3, 40), (0, 60)),
    ("a_qualifier", 12, (1, 27), (0, 90)),
    ("rendez_vous", 11, (2, 40), (10, 150)),
    ("a_suivre", 13, (3, 55), (30, 300)),
    ("devis_envoye", 10, (2, 27), (40, 400)),
    ("chaud", 7, (1, 19), (60, 420)),
    ("froid", 7, (30, 170), (60, 650)),
    ("gagne", 15, (5, 740), (45, 300)),
    ("perdu", 7, (10, 740), (40, 300)),
    ("sans_suite", 5, (120, 800), (20, 250)),
    ("client_actif", 5, (330, 950), (0, 0)),
    ("client_inactif", 3, (60, 330), (0, 0)),
]

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

rng = random.Random(SEED)
DAY = dt.timedelta(days=1)


def days(n):
    return dt.timedelta(days=n)


def weekday_back(d):
    while d.weekday() >= 5:
        d -= DAY
    return d


def rand_date(lo, hi):
    """Random weekday in [lo, hi] (falls back to lo)."""
    if hi < lo:
        return lo
    d = lo + days(rng.randint(0, (hi - lo).days))
    d2 = weekday_back(d)
    return d2 if d2 >= lo else lo


def fr(d):
    return d.strftime("%d/%m/%Y") if d else ""


def fr_amount(cents, spaced):
    if cents is None:
        return ""
    euros, c = divmod(cents, 100)
    s = f"{euros:,}".replace(",", " ") if spaced else str(euros)
    return f"{s},{c:02d}"


def dot_amount(cents):
    euros, c = divmod(cents, 100)
    return f"{euros}.{c:02d}"


def last_sunday(year, month):
    d = dt.date(year, month + 1, 1) - DAY
    while d.weekday() != 6:
        d -= DAY
    return d


def paris_offset(d):
    """Europe/Paris offset for a daytime timestamp on date d."""
    if last_sunday(d.year, 3) <= d < last_sunday(d.year, 10):
        return "+02:00"
    return "+01:00"


def pick_products(stage):
    ids = [p[0] for p in PRODUCTS]
    weights = [p[4] for p in PRODUCTS]
    if stage in ("suspect", "contacte"):
        if rng.random() < 0.75:
            return []
    elif stage == "a_qualifier" and rng.random() < 0.35:
        return []
    k = rng.choice([1, 1, 1, 2, 2, 2, 3])
    chosen = []
    while len(chosen) < k:
        p = rng.choices(ids, weights)[0]
        if p not in chosen:
            chosen.append(p)
    # machines and retrofit are usually sold with installation/training
    order = {pid: i for i, pid in enumerate(ids)}
    chosen.sort(key=lambda p: order[p])
    return chosen


def price(products):
    by_id = {p[0]: p for p in PRODUCTS}
    if not products:
        total = rng.randint(3000, 40000)
    else:
        total = sum(rng.randint(by_id[p][2], by_id[p][3]) for p in products)
    return int(round(total / 50.0)) * 50 * 100  # cents, rounded to 50 EUR


def client_dates(path, since):
    """Dates for a path ending in a client state, walking back from `since`."""
    dates = [since]
    for s0, s1 in reversed(list(zip(path, path[1:]))):
        if (s0, s1) == ("gagne", "client_actif"):
            gap = rng.randint(7, 42)       # delivery follows the order
        elif (s0, s1) == ("client_actif", "client_inactif"):
            gap = rng.randint(365, 420)    # a year without orders
        elif (s0, s1) == ("client_inactif", "client_actif"):
            gap = rng.randint(40, 120)
        else:
            gap = rng.randint(5, 45)
        dates.insert(0, weekday_back(dates[0] - days(gap)))
    return dates


def action_fits(text, products):
    """Keep next actions coherent with the products discussed."""
    if "consommation d'air" in text:
        return "air_comprime" in products
    if "essai sur pièce" in text:
        return any(x in products for x in ("machines_outils", "retrofit"))
    if "contrat de maintenance" in text:
        return "contrat_maintenance" in products
    return True


# --------------------------------------------------------------------------
# Build prospects
# --------------------------------------------------------------------------

def build():
    companies = COMPANIES[:]
    rng.shuffle(companies)
    names = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    rng.shuffle(names)

    prospects = []
    for stage, count, (ago_lo, ago_hi), (dur_lo, dur_hi) in PLAN:
        for i in range(count):
            p = {"stage": stage, "tag": f"{stage}#{i}"}
            path = rng.choice(PATHS[stage])[:]
            ago = rng.randint(ago_lo, ago_hi)
            # deliberate anomalies and special stories
            if stage == "suspect" and i == 0:
                ago = 420                      # old suspect, never worked
            if stage == "a_qualifier" and i in (0, 1):
                ago = [41, 58][i]              # past stale_after (30 days)
            if stage == "a_qualifier" and i == 2:
                path = ["suspect", "contacte", "sans_suite", AQ]  # reactivated
            if stage == "rendez_vous" and i == 0:
                ago = 200                      # stuck 200 days in Rendez-vous
            if stage == "a_suivre" and i == 1:
                path = [AQ, RV, AS, "froid", AS]  # came back from Froid
            if stage == "client_actif" and i == 0:
                path = [AQ, RV, DE, "gagne", "client_actif", "client_inactif",
                        "client_actif"]
                ago = 75
            since = weekday_back(TODAY - days(ago))
            if stage == "rendez_vous" and i == 0:
                since = TODAY - days(200)
            if stage in ("client_actif", "client_inactif"):
                # walk back from today's state with realistic gaps
                dates = [FIRST_DAY - DAY]
                while dates[0] < FIRST_DAY:
                    dates = client_dates(path, since)
                p["path"] = list(zip(path, dates))
                p["created"] = dates[0]
                p["since"] = since
                prospects.append(p)
                continue
            if len(path) == 1:
                created = since
            else:
                dur = rng.randint(max(dur_lo, len(path) * 4), max(dur_hi, len(path) * 6))
                if stage == "a_qualifier" and i == 2:
                    dur = 560
                created = max(FIRST_DAY, weekday_back(since - days(dur)))
            # intermediate transition dates
            inner = sorted(rand_date(created, since) for _ in range(len(path) - 2))
            if stage == "a_qualifier" and i == 2:
                contacted = weekday_back(created + days(rng.randint(15, 40)))
                dropped = weekday_back(contacted + days(rng.randint(60, 100)))
                inner = [contacted, dropped]
            dates = [created] + inner + [since] if len(path) > 1 else [created]
            p["path"] = list(zip(path, dates))
            p["created"] = created
            p["since"] = since
            prospects.append(p)

    # Réf in creation order (ties broken by generation order)
    prospects.sort(key=lambda p: p["created"])
    for n, p in enumerate(prospects, 1):
        p["ref"] = f"P-{n:04d}"

    # Companies: a handful of clients open a second deal later on.
    ci = 0
    for p in prospects:
        p["company"], p["city"] = companies[ci]
        ci += 1
    by_tag = {p["tag"]: p for p in prospects}
    for client_tag, deal_tag in (("client_actif#1", "devis_envoye#3"),
                                 ("client_actif#2", "a_suivre#4")):
        c, d = by_tag[client_tag], by_tag[deal_tag]
        d["company"], d["city"] = c["company"], c["city"]
        d["same_client"] = c["ref"]
    for p in prospects:
        if rng.random() < 0.08:
            p["city"] = ""

    # contacts
    ni = 0
    for p in prospects:
        if p["stage"] == "suspect" and rng.random() < 0.6:
            p["name"] = ""
        else:
            p["name"] = names[ni]
            ni += 1
    for p in prospects:
        if "same_client" in p:
            if rng.random() < 0.5:
                p["name"] = next(q["name"] for q in prospects if q["ref"] == p["same_client"])

    # owners: the director keeps a few key accounts
    director_tags = ["chaud#0", "devis_envoye#0", "gagne#0", "gagne#1",
                     "client_actif#3", "perdu#0"]
    for p in prospects:
        st = p["stage"]
        if p["tag"] in director_tags:
            p["owner"] = DIRECTOR
        elif st == "suspect" and p["tag"] != "suspect#1":
            p["owner"] = ""
        elif st == "sans_suite" and p["path"][0][0] == "suspect" and len(p["path"]) == 2:
            p["owner"] = ""
        else:
            p["owner"] = rng.choice(SALES)
    for p in prospects:
        if "same_client" in p:
            p["owner"] = next(q["owner"] for q in prospects if q["ref"] == p["same_client"])

    # products, amounts
    for p in prospects:
        st = p["stage"]
        prods = pick_products(st)
        if not prods and "products" in REQUIRES[st]:
            prods = pick_products("gagne")
        if st in ("client_actif", "client_inactif", "gagne") and not prods:
            prods = ["contrat_maintenance"]
        p["products"] = prods
        amount = price(prods)
        if st == "suspect":
            amount = None
        elif st == "contacte" and rng.random() < 0.5:
            amount = None
        elif st == "a_qualifier" and rng.random() < 0.2:
            amount = None
        elif st == "rendez_vous" and rng.random() < 0.1:
            amount = None
        elif st == "sans_suite" and rng.random() < 0.4:
            amount = None
        if st == "sans_suite" and AQ not in [s for s, _ in p["path"]]:
            amount, prods = None, []         # dropped before any qualification
            p["products"] = prods
        if p["tag"] == "a_suivre#0":
            amount = None            # missing data: amount expected, not required
        if amount is not None:
            small_items = any(x in prods for x in ("pieces_detachees", "consommables"))
            if rng.random() < (0.4 if small_items else 0.03):
                amount += rng.randint(1, 9999)      # a few amounts with cents
        p["amount"] = amount
        p["spaced"] = amount is not None and amount >= 100000 and rng.random() < 0.07
    # guarantee amounts for stages that require them
    for p in prospects:
        if "amount" in REQUIRES[p["stage"]] and p["amount"] is None:
            p["amount"] = price(p["products"])

    # probability overrides
    overrides = {"devis_envoye#1": "60", "devis_envoye#4": "55", "chaud#1": "85",
                 "chaud#2": "50", "a_suivre#2": "35", "rendez_vous#3": "15",
                 "froid#1": "10"}
    for p in prospects:
        p["probability"] = overrides.get(p["tag"], "")

    # expected decision dates
    for p in prospects:
        st, tag = p["stage"], p["tag"]
        ec = None
        if st == "a_qualifier" and rng.random() < 0.4:
            ec = TODAY + days(rng.randint(60, 300))
        elif st == "rendez_vous" and rng.random() < 0.6:
            ec = TODAY + days(rng.randint(45, 330))
        elif st == "a_suivre":
            ec = TODAY + days(rng.randint(30, 330))
        elif st == "devis_envoye":
            ec = TODAY + days(rng.randint(10, 170))
        elif st == "chaud":
            ec = TODAY + days(rng.randint(5, 85))
        elif st == "froid" and rng.random() < 0.5:
            ec = TODAY + days(rng.randint(380, 600))
        elif st == "gagne":
            ec = p["since"]
        elif st == "perdu":
            ec = p["since"] + days(rng.randint(0, 20))
        elif st in ("client_actif", "client_inactif"):
            ec = next(d for s, d in p["path"] if s == "gagne")
        if tag == "a_suivre#0":
            ec = None                                 # missing data
        if tag == "chaud#3":
            ec = dt.date(2027, 7, 30)                 # Chaud but 8 months out
        if tag == "froid#0":
            ec = dt.date(2026, 12, 18)                # Froid but next month
        if tag == "froid#2" and ec is None:
            ec = TODAY + days(rng.randint(380, 600))  # frozen with a far date
        if tag == "devis_envoye#2":
            ec = dt.date(2026, 11, 20)                # already passed
        if ec is not None and st not in ("gagne", "client_actif", "client_inactif"):
            ec = ec if ec.weekday() < 5 else ec + days(7 - ec.weekday())
        p["expected_close"] = ec

    # next actions, lost reasons, notes
    for p in prospects:
        st = p["stage"]
        tmpl = rng.choice([a for a in NEXT_ACTIONS[st] if action_fits(a, p["products"])])
        when = TODAY + days(rng.randint(3, 20))
        when = when if when.weekday() < 5 else when + days(7 - when.weekday())
        p["next_action"] = tmpl.replace("{d}", fr(when))
        if st == "rendez_vous" and not p["next_action"]:
            p["next_action"] = "Visite de l'atelier le " + fr(when)
        p["next_action_date"] = when if p["next_action"] else None
        p["lost_reason"] = rng.choice(LOST_REASONS[st]) if st in LOST_REASONS else ""
        p["notes"] = ""
    note_pool = NOTES[:]
    rng.shuffle(note_pool)
    carriers = rng.sample(prospects, len(note_pool))
    for p, n in zip(carriers, note_pool):
        p["notes"] = n
    for p in prospects:
        if "same_client" in p:
            p["notes"] = (p["notes"] + " ; " if p["notes"] else "") + \
                f"Client existant (voir {p['same_client']})"
    for p in prospects:
        if p["tag"] == "a_qualifier#2":
            p["notes"] = "Réactivé : nouveau projet d'extension de l'atelier, " \
                         "précédente tentative classée sans suite"
    return prospects


# --------------------------------------------------------------------------
# Journal
# --------------------------------------------------------------------------

def journal_events(prospects):
    events = []  # (date, order, prospect, fields)
    for p in prospects:
        by = p["owner"] or DIRECTOR
        path = p["path"]
        origin = rng.choice(ORIGINS)
        events.append((path[0][1], 0, p, dict(kind="add", field="stage", frm="",
                                               to=path[0][0], reason="", note=origin)))
        for (s0, _), (s1, d1) in zip(path, path[1:]):
            assert s1 in NEXT[s0], (p["tag"], s0, s1)
            reason, note = "", rng.choice(MOVE_NOTES.get(s1, [""]))
            if s1 in ("perdu", "sans_suite"):
                reason = p["lost_reason"] if (s1, d1) == path[-1] else \
                    rng.choice(LOST_REASONS[s1])
            elif s1 == "froid":
                reason = rng.choice(FROID_REASONS)
            elif s0 in ("perdu", "sans_suite", "froid"):
                reason = "Nouveau projet annoncé" if s1 == AQ else "Reprise du projet"
                note = ""
            elif (s0, s1) == ("client_inactif", "client_actif"):
                reason, note = "Nouvelle commande", "Commande de pièces et contrat renouvelé"
            events.append((d1, 1, p, dict(kind="move", field="stage", frm=s0, to=s1,
                                          reason=reason, note=note)))
    # expected_close history (final value = register)
    ec_tags = ["a_suivre#3", "a_suivre#5", "a_suivre#7", "devis_envoye#0",
               "devis_envoye#1", "devis_envoye#4", "devis_envoye#6", "chaud#0",
               "chaud#2", "chaud#3", "chaud#4", "froid#0", "froid#2",
               "gagne#2", "gagne#5", "perdu#1"]
    pushes = {"chaud#3": 2, "devis_envoye#1": 3, "chaud#0": 2, "a_suivre#3": 3,
              "froid#2": 1, "gagne#5": 2}
    push_notes = ["Report demandé par le client", "Budget décalé au trimestre suivant",
                  "Attente de la validation du groupe", "Comité d'investissement reporté",
                  ""]
    by_tag = {p["tag"]: p for p in prospects}
    for tag in ec_tags:
        p = by_tag[tag]
        final = p["expected_close"]
        assert final is not None, tag
        by = p["owner"] or DIRECTOR
        k = pushes.get(tag, rng.choice([0, 1, 1, 2]))
        # first set when the deal entered its second stage (or at creation)
        start = p["path"][1][1] if len(p["path"]) > 1 else p["created"]
        end = TODAY if p["stage"] not in ("gagne", "perdu") else p["since"]
        if tag == "froid#0":
            # frozen with a far-off date, then pulled forward: an anomaly
            frozen = next(d for s, d in p["path"] if s == "froid")
            far = weekday_back(frozen + days(rng.randint(480, 540)))
            events.append((frozen, 2, p, dict(kind="set", field="expected_close", frm="",
                                              to=far.isoformat(), reason="", note="")))
            events.append((dt.date(2026, 11, 18), 2, p, dict(
                kind="set", field="expected_close", frm=far.isoformat(),
                to=final.isoformat(), reason="",
                note="Le client annonce une reprise possible du projet")))
            continue
        if tag == "chaud#3":
            start = p["since"] - days(30)
        last = {"chaud#3": dt.date(2026, 11, 20)}.get(tag)
        if tag == "froid#2":
            last = next(d for s, d in p["path"] if s == "froid")
        if last is not None:
            s_dates = sorted(rand_date(start, last - DAY) for _ in range(k)) + [last]
        else:
            s_dates = sorted(rand_date(start, min(end, final - days(7))) for _ in range(k + 1))
        values = []
        for i in range(k):
            v = s_dates[i + 1] + days(rng.randint(3, 25))
            v = v if v.weekday() < 5 else v + days(7 - v.weekday())
            lo = values[-1] + DAY if values else s_dates[i] + days(7)
            v = max(v, lo)
            v = min(v, final - days(10))
            values.append(v)
        values.append(final)
        prev = ""
        for i, (sd, v) in enumerate(zip(s_dates, values)):
            note = "" if i == 0 else rng.choice(push_notes)
            if tag == "chaud#3" and i == k:
                note = "Le client reporte son investissement à l'été 2027"
            events.append((sd, 2, p, dict(kind="set", field="expected_close", frm=prev,
                                          to=v.isoformat(), reason="", note=note)))
            prev = v.isoformat()
    # amount history (final value = register)
    amount_tags = {"devis_envoye#2": 1, "chaud#1": 2, "gagne#3": 1, "gagne#6": 1,
                   "chaud#5": 1}
    for tag, k in amount_tags.items():
        p = by_tag[tag]
        final = p["amount"]
        de = next((d for s, d in p["path"] if s == DE), p["path"][1][1])
        end = TODAY if p["stage"] not in ("gagne",) else p["since"]
        s_dates = sorted(rand_date(de, end) for _ in range(k))
        vals = [final]
        for i in range(k):
            while True:
                factor = rng.choice([0.82, 0.88, 0.93, 1.06, 1.12])
                v = int(round(final * factor / 5000.0)) * 5000
                if v != vals[0]:
                    break
            vals.insert(0, v)
        for sd, a, b in zip(s_dates, vals, vals[1:]):
            note = rng.choice(["Révision du devis après visite technique",
                               "Remise commerciale accordée",
                               "Option ajoutée à la demande du client"])
            events.append((sd, 2, p, dict(kind="set", field="amount", frm=dot_amount(a),
                                          to=dot_amount(b), reason="", note=note)))

    # per prospect: order by effective date, then assign recording times
    per = {}
    for e in events:
        per.setdefault(e[2]["ref"], []).append(e)
    rows = []
    for ref in sorted(per):
        evs = sorted(per[ref], key=lambda e: (e[0], e[1]))
        prev_at = None
        for d, _, p, f in evs:
            delay = rng.choice([0, 0, 0, 0, 0, 0, 1, 1, 3])
            day = min(d + days(delay), TODAY)
            secs = rng.randint(8 * 3600, 18 * 3600 + 30 * 60)
            at = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=secs)
            if prev_at is not None and at <= prev_at:
                at = prev_at + dt.timedelta(seconds=rng.randint(120, 2400))
            assert at.date() <= TODAY
            prev_at = at
            rows.append((at, ref, d, p, f))
    rows.sort(key=lambda r: (r[0], r[1]))
    # quote numbers follow the recording order, per year
    counters = {}
    out = []
    for at, ref, d, p, f in rows:
        note = f["note"]
        if note == "DEVIS":
            counters[d.year] = counters.get(d.year, 0) + 1
            note = f"Devis D-{d.year}-{counters[d.year] + 100:04d} envoyé"
        by = p["owner"] or DIRECTOR
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S") + paris_offset(at.date())
        out.append([stamp, d.isoformat(), ref, f["kind"], f["field"], f["frm"], f["to"],
                    by, f["reason"], note])
    return out


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

HEADER = ["Réf", "Étape", "Depuis le", "Contact", "Société", "Ville", "Commercial",
          "Montant HT", "Probabilité", "Décision prévue", "Prochaine action", "Relance le",
          "Produits", "Motif de perte", "Créé le", "Notes"]


def main():
    prospects = build()
    journal = journal_events(prospects)
    plabel = {p[0]: p[1] for p in PRODUCTS}
    os.makedirs(os.path.dirname(REGISTER), exist_ok=True)
    with open(REGISTER, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n",
                       quoting=csv.QUOTE_MINIMAL)
        w.writerow(HEADER)
        for p in sorted(prospects, key=lambda p: p["ref"]):
            w.writerow([
                p["ref"], LABEL[p["stage"]], fr(p["since"]), p["name"], p["company"],
                p["city"], p["owner"], fr_amount(p["amount"], p["spaced"]),
                p["probability"], fr(p["expected_close"]), p["next_action"], fr(p["next_action_date"]),
                "|".join(plabel[x] for x in p["products"]), p["lost_reason"],
                fr(p["created"]), p["notes"],
            ])
    with open(JOURNAL, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=",", lineterminator="\n",
                       quoting=csv.QUOTE_MINIMAL)
        w.writerow(["at", "date", "id", "kind", "field", "from", "to", "by",
                    "reason", "note"])
        w.writerows(journal)
    print(f"wrote {len(prospects)} prospects to {os.path.relpath(REGISTER, ROOT)}")
    print(f"wrote {len(journal)} journal entries to {os.path.relpath(JOURNAL, ROOT)}")


if __name__ == "__main__":
    main()
