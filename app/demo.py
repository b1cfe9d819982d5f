"""Demo members for trying Maillage out: believable French profiles over the real communes.

Every demo account logs in with the password "maillage-demo" (one hash shared by all of them).
Emails are ``prenom.nom.00042@demo.maillage.test``, plus ``organisatrice@``, ``organisateur@``
and ``admin@demo.maillage.test``; index i always gives the same person, so a rerun adds nothing.
Plain functions taking a session: no request, no flask.g; the caller commits.
"""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from itertools import accumulate

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Commune, Profile, ProfileKind, Role, Skill, SkillAlias, User, Visibility
from models.textkey import fold, skill_key, tidy

DEMO_PASSWORD = "maillage-demo"
DEMO_DOMAIN = "demo.maillage.test"
STAFF = (("organisatrice", Role.ORGANISER), ("organisateur", Role.ORGANISER),
         ("admin", Role.ADMIN))
# Rodez, Villefranche-de-Rouergue, Millau, Mende: boosted, and their neighbours too.
HUBS = {"12202": 3.0, "12300": 2.4, "12145": 2.2, "48095": 2.6}
NEIGHBOUR_KM, NEIGHBOUR_BOOST = 12.0, 1.8
BATCH = 1000

FEMALE = ("Camille Léa Manon Chloé Julie Marion Claire Sophie Élodie Anaïs Pauline Mathilde "
          "Lucie Émilie Laure Céline Agathe Margaux Jeanne Nathalie Sandrine Amandine Aurélie Inès "
          "Louise Hélène Solène Fanny Delphine Maëlle Véronique Isabelle").split()
MALE = ("Thomas Julien Nicolas Pierre Antoine Mathieu Guillaume Romain Baptiste Sébastien Florian "
        "Jérôme Hugo Louis Jean Bastien Cédric Benoît Adrien Damien Vincent Olivier Laurent Théo "
        "Lucas Gaël Rémi Yann Frédéric Christophe Alexis Clément").split()
SURNAMES = ("Bousquet Fabre Vidal Roques Delmas Cayla Bouissou Costes Lacombe Carrière Bonnefous "
            "Rouquette Séguret Lapeyre Albouy Marty Bastide Vayssière Cabrol Gaubert Boudou Solier "
            "Couderc Fraysse Lacan Mazars Puech Rigal Teulier Aldebert Pagès Chabbert Malzac Boyer "
            "Martin Bernard Durand Moreau Girard Rousseau Blanc Garnier Faure Chevalier Robin "
            "Lefèvre Mercier Dupuy Bonnet Nguyen Benali Ferreira Lemoine Astruc Vernhet").split()
SKILLS = {theme: tuple(names.split(", ")) for theme, names in {
    "num": "Développement web, Graphisme, Webdesign, Community management, Médiation numérique, "
           "Référencement (SEO), Maintenance informatique, WordPress, Tableurs et données, "
           "Formation au numérique",
    "art": "Photographie, Vidéo, Illustration, Musique, Céramique, Écriture, Théâtre, Sérigraphie, "
           "Sculpture, Prise de son",
    "main": "Menuiserie, Ébénisterie, Plomberie, Électricité, Couture, Charpente, Pierre sèche, "
            "Rénovation énergétique, Ferronnerie, Tapisserie d'ameublement",
    "bureau": "Comptabilité, Secrétariat indépendant, Traduction, Rédaction, Relecture-correction, "
              "Conseil en communication, Gestion de projet, Architecture, Ressources humaines, "
              "Droit des associations",
    "terre": "Maraîchage bio, Tourisme rural, Apiculture, Élevage ovin, Transformation fromagère, "
             "Circuits courts, Permaculture, Guide de randonnée, Chambres d'hôtes, Paysagisme",
    "accomp": "Formation, Animation d'ateliers, Facilitation, Éducation populaire, Coaching, "
              "Montage de dossiers de subvention, Recherche de financements, Soutien scolaire, "
              "Accompagnement à la création d'entreprise, Gestion de tiers-lieu",
}.items()}
VARIANTS = {"Développement web": ("Développement Web", "developpement web", "Développement-web"),
            "Maraîchage bio": ("maraichage bio", "Maraîchage Bio"), "Céramique": ("ceramique",),
            "Community management": ("community-management", "Community Management"),
            "Ébénisterie": ("ebenisterie",), "Médiation numérique": ("mediation numerique",)}
KINDS = {ProfileKind.INDEPENDENT: 45, ProfileKind.ARTIST: 17, ProfileKind.COMPANY: 12,
         ProfileKind.ASSOCIATION: 10, ProfileKind.EMPLOYEE: 9, ProfileKind.PROJECT: 7}
KIND_THEMES = {
    ProfileKind.INDEPENDENT: {"num": 3, "main": 3, "bureau": 3, "terre": 2, "accomp": 2, "art": 1},
    ProfileKind.ARTIST: {"art": 1},
    ProfileKind.COMPANY: {"main": 3, "num": 2, "terre": 2, "bureau": 1},
    ProfileKind.ASSOCIATION: {"accomp": 4, "art": 2, "terre": 2, "num": 2},
    ProfileKind.EMPLOYEE: {"num": 4, "bureau": 3, "accomp": 1},
    ProfileKind.PROJECT: {"terre": 3, "accomp": 2, "main": 1, "num": 1, "art": 1},
}
# Which other theme a person's second line of work is likely to be in.
COMPANIONS = {"num": ("bureau", "art", "accomp"), "art": ("num", "accomp"), "main": ("terre",),
              "bureau": ("num", "accomp"), "terre": ("accomp", "main", "art"),
              "accomp": ("bureau", "num", "terre")}
AREAS = ("du Ségala", "du Lévézou", "de l'Aubrac", "des Causses", "du Larzac", "du Rouergue",
         "du Vallon", "de la Margeride", "du Gévaudan", "de la Vallée du Lot", "du Carladez")
COMPANY_WORDS = {"num": ("Studio Numérique", "Agence Web", "Les Pixels"),
                 "art": ("Atelier", "Studio"), "terre": ("Ferme", "Les Jardins", "Gîtes"),
                 "main": ("Atelier Bois", "Menuiserie", "Les Artisans", "Scop Bâti"),
                 "bureau": ("Cabinet Conseil", "Bureau d'études", "Plume et Clavier"),
                 "accomp": ("Coopérative", "Tremplin")}
ASSOCIATIONS = ("Les Causses Numériques", "La Fabrique", "Le Tiers-Lieu", "Les Chemins",
                "Le Maillon", "La Grange", "Les Mains Vertes", "Le Comptoir", "Les Ruches")
PROJECTS = ("ouvrir un tiers-lieu", "reprendre une ferme en maraîchage",
            "monter une micro-brasserie", "créer un atelier partagé de menuiserie",
            "lancer une épicerie-café itinérante", "ouvrir des chambres d'hôtes",
            "créer une école de musique associative", "installer un fab lab dans l'ancienne école")
NEEDS = ("un bureau partagé à {hub} deux jours par semaine", "des clients au-delà de {commune}",
         "une connexion fibre fiable près de {commune}", "un local pour stocker du matériel",
         "des partenaires pour répondre ensemble à des appels d'offres",
         "un associé ou une associée", "quelqu'un en {other} pour un projet en cours",
         "des retours sur mon site et mes tarifs", "un coworking à {hub} avec une salle de réunion",
         "des personnes pour covoiturer vers {hub}")
EXTRAS = ("", "", " Premier rendez-vous offert.", " Je prête volontiers mon matériel.",
          " Déplacements possibles dans tout le département.", " Échanges de services bienvenus.")
CLOSINGS = ("Toujours partant{e} pour un café et un coup de main entre voisins.",
            "N'hésitez pas à m'écrire par la messagerie.",
            "Le reste du temps, on me trouve sur les chemins de randonnée.")


def _slug(text: str) -> str:
    return fold(text).replace(" ", "-")


def _low(name: str) -> str:
    """Skill name inside a sentence: "Graphisme" -> "graphisme", but "WordPress" stays."""
    return name if any(ch.isupper() for ch in name.split()[0][1:]) else name[0].lower() + name[1:]


def _km(a: Commune, b: Commune) -> float:
    x = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371.0 * math.hypot(x, math.radians(b.lat - a.lat))


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _commune_weights(communes: list[Commune]) -> list[float]:
    """Population (flattened a little so villages appear), boosted around the four hubs."""
    hubs = [c for c in communes if c.insee in HUBS]
    weights = []
    for c in communes:
        w = (c.population + 150) ** 0.85
        if c.insee in HUBS:
            w *= HUBS[c.insee]
        elif any(_km(c, h) <= NEIGHBOUR_KM for h in hubs):
            w *= NEIGHBOUR_BOOST
        weights.append(w)
    return weights


def _person(i: int, seed: int, communes, cum_weights, hubs, now) -> dict:
    """Everything about demo member number i; depends only on (seed, i)."""
    rng = random.Random(seed * 1_000_003 + i)
    female = rng.random() < 0.5 if i >= 2 else i == 0
    first, last = rng.choice(FEMALE if female else MALE), rng.choice(SURNAMES)
    e = "e" if female else ""
    kind = _pick(rng, KINDS) if i >= len(STAFF) else ProfileKind.INDEPENDENT
    commune = rng.choices(communes, cum_weights=cum_weights)[0]
    place = commune.name
    hub = min(hubs, key=lambda h: _km(commune, h)).name if hubs else place
    themes = KIND_THEMES[kind]
    main = _pick(rng, themes)
    names = rng.sample(SKILLS[main], rng.randint(1, 3))
    second = main if rng.random() < 0.4 else rng.choice(COMPANIONS[main])
    pool = [s for s in SKILLS[second] if s not in names]
    names += rng.sample(pool, rng.randint(max(0, 2 - len(names)), 5 - len(names)))
    other = _low(rng.choice(SKILLS[rng.choice([t for t in SKILLS if t not in (main, second)])]))
    s1, s2 = _low(names[0]), _low(names[1])
    area = rng.choice(AREAS)
    we = kind in (ProfileKind.COMPANY, ProfileKind.ASSOCIATION)
    if kind == ProfileKind.COMPANY:
        display = f"{rng.choice(COMPANY_WORDS[main])} {area}"
        headline = f"{names[0]} et {s2} pour particuliers et professionnels, depuis {place}"
    elif kind == ProfileKind.ASSOCIATION:
        display = f"Association {rng.choice(ASSOCIATIONS)} {area}"
        headline = f"Association à {place} : {s1}, {s2} et rencontres entre voisins"
    else:
        display = f"{first} {last}"
        headline = {ProfileKind.INDEPENDENT: f"{names[0]} en indépendant{e} à {place}",
                    ProfileKind.ARTIST: f"Artiste : {s1} et {s2} ({place})",
                    ProfileKind.EMPLOYEE: f"Salarié{e} en télétravail depuis {place} : {s1}",
                    ProfileKind.PROJECT: f"Porteu{'se' if female else 'r'} de projet : "
                                         f"{rng.choice(PROJECTS)} à {place}"}[kind]
    if len(headline) > 140:  # long skill and commune names: keep one line, no cut word
        headline = f"{names[0]} à {place}"
    year = now.year - rng.randint(1, 15)
    bullets = "\n".join(f"- {n}" for n in names)
    if we:
        paras = [f"Nous sommes basés à **{place}** depuis {year} et nous rayonnons sur le "
                 f"secteur {area}.", f"Ce que nous proposons :\n\n{bullets}",
                 rng.choice(("Nous accueillons volontiers des stagiaires et des bénévoles.",
                             "Passez nous voir, la porte est souvent ouverte.",
                             "Nous aimerions travailler davantage avec les indépendants du coin."))]
    else:
        paras = [rng.choice((f"Installé{e} à **{place}** depuis {year}, je travaille surtout "
                             f"en {s1}.",
                             f"Je vis à **{place}**, où je partage mon temps entre {s1} et {s2}.",
                             f"Après quelques années en ville, je suis revenu{e} à **{place}** "
                             f"en {year}.")),
                 rng.choice(("Mes spécialités : " + ", ".join(f"*{_low(n)}*" for n in names) + ".",
                             f"Ce que je fais le plus souvent :\n\n{bullets}"))]
        if rng.random() < 0.35:
            paras.append(f"Je cherche un bureau partagé à {hub} "
                         f"{rng.choice(('deux', 'un ou deux', 'trois'))} jours par semaine, "
                         "pour voir du monde et sortir de la maison.")
        if rng.random() < 0.6:
            paras.append(rng.choice(CLOSINGS).format(e=e))
    fmt = {"hub": hub, "commune": place, "other": other}
    needs = [n for n in NEEDS if not (commune in hubs and "covoiturer" in n)]
    needs = " et ".join(n.format(**fmt) for n in rng.sample(needs, rng.randint(1, 2)))
    website = ""
    if rng.random() < 0.35:
        website = f"https://{_slug(display if we else rng.choice((display, 'atelier ' + last)))}"
        website += ".example"
    created = now - timedelta(days=rng.uniform(0, 548))
    updated = created + (now - created) * rng.random() ** 0.5
    return dict(
        first=first, last=last, display=display[:80], kind=kind, headline=headline,
        bio="\n\n".join(paras), commune=commune.insee, skills=names, website=website,
        offers=f"Je peux aider pour {s1} et {s2}.{rng.choice(EXTRAS)}",
        needs=f"Je cherche {needs}.",
        visibility=Visibility.MEMBERS if rng.random() < 0.15 else Visibility.PUBLIC,
        variant=rng.random(), created=created, updated=updated)


def demo_email(i: int, person: dict) -> str:
    if i < len(STAFF):
        return f"{STAFF[i][0]}@{DEMO_DOMAIN}"
    return f"{_slug(person['first'])}.{_slug(person['last'])}.{i:05d}@{DEMO_DOMAIN}"


def create_demo(session, count: int = 340, seed: int = 12, password_hash: str | None = None,
                progress=None) -> dict:
    """Add demo members 0..count-1 that are not there yet; flushes in batches, never commits."""
    communes = list(session.scalars(select(Commune).order_by(Commune.insee)))
    if not communes:
        raise RuntimeError("No communes: load the gazetteer first.")
    if password_hash is None:
        from models.user import hash_password
        password_hash = hash_password(DEMO_PASSWORD)
    cum = list(accumulate(_commune_weights(communes)))
    hubs = [c for c in communes if c.insee in HUBS]
    existing = set(session.scalars(select(User.email).where(User.email.like(f"%@{DEMO_DOMAIN}"))))
    skills = {a.key: a.skill for a in session.scalars(
        select(SkillAlias).options(joinedload(SkillAlias.skill)))}
    canonical = {skill_key(v): name for name, spellings in VARIANTS.items() for v in spellings}
    now = datetime.now(timezone.utc).replace(microsecond=0)
    created = skipped = 0
    for start in range(0, count, BATCH):
        batch: list[User] = []
        for i in range(start, min(count, start + BATCH)):
            p = _person(i, seed, communes, cum, hubs, now)
            email = demo_email(i, p)
            if email in existing:
                skipped += 1
                continue
            profile = Profile(kind=p["kind"], headline=p["headline"], bio=p["bio"],
                              offers=p["offers"], needs=p["needs"], website=p["website"],
                              visibility=p["visibility"], commune_insee=p["commune"],
                              updated_at=p["updated"])
            for n, name in enumerate(p["skills"]):  # distinct skills, hence distinct keys
                if n == 0 and name in VARIANTS and p["variant"] < 0.3:  # typed; keys unite
                    name = VARIANTS[name][int(p["variant"] * 100) % len(VARIANTS[name])]
                key = skill_key(name)
                if key not in skills:
                    name = tidy(canonical.get(key, name))
                    skills[key] = Skill(name=name, key=key, aliases=[SkillAlias(key=key, label=name)])
                if skills[key] not in profile.skills:  # two seed names may share a skill
                    profile.skills.append(skills[key])
            role = STAFF[i][1] if i < len(STAFF) else Role.MEMBER
            batch.append(User(email=email, password_hash=password_hash, role=role,
                              display_name=p["display"], created_at=p["created"], profile=profile))
            existing.add(email)
        session.add_all(batch)
        session.flush()
        created += len(batch)
        if progress:
            progress(min(count, start + BATCH))
    return {"created": created, "skipped": skipped}
