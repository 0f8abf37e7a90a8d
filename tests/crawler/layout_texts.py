"""Text bank of the layout generator: fixture stories, teasers, comments, page chrome.

Every string here was written for this project in the style of the three outlets
(dateline ``Ville (VNA) –``, closing credit, ``Photo : VNA`` captions); none is
copied from a real page. :mod:`tests.crawler.layouts` renders them into markup.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    """One fixture article: the text a page carries, before any markup."""

    title: str
    lede: str
    place: str
    paragraphs: tuple[str, ...]
    caption: str


STORIES: tuple[Story, ...] = (
    Story(
        "Hanoï et Vientiane renforcent la coopération ferroviaire",
        "Les ministères des Transports des deux pays ont signé un protocole sur la ligne "
        "reliant Vung Ang à la capitale laotienne.",
        "Vientiane",
        (
            "Le protocole fixe un calendrier commun pour les études de faisabilité, qui devront "
            "être remises avant la fin du deuxième trimestre.",
            "Selon le vice-ministre vietnamien, le tracé retenu réduirait de moitié le temps de "
            "transport des marchandises entre le port et la frontière.",
            "La partie laotienne a demandé un appui technique pour la formation de conducteurs "
            "et d'agents de maintenance.",
            "Les deux délégations se retrouveront en mars à Hanoï pour examiner le financement "
            "des premiers tronçons.",
        ),
        "Les deux vice-ministres signent le protocole à Vientiane. Photo : VNA",
    ),
    Story(
        "Le delta du Mékong mise sur le riz à faibles émissions",
        "Douze provinces se sont engagées à convertir un million d'hectares à des méthodes de "
        "culture plus sobres en eau.",
        "Cân Tho",
        (
            "Les coopératives participantes alternent désormais inondation et assèchement des "
            "parcelles, une technique qui limite le méthane.",
            "Les premiers bilans font état d'une baisse d'un cinquième des coûts d'engrais pour "
            "les exploitants.",
            "Le programme prévoit des certificats pour les lots vendus à l'exportation, une "
            "demande croissante des acheteurs européens.",
        ),
        "Des agriculteurs repiquent du riz dans la province de Soc Trang. Photo : VNA",
    ),
    Story(
        "Ouverture du festival des lanternes de Hôi An",
        "La vieille ville accueille jusqu'à dimanche des artisans venus de onze provinces.",
        "Quang Nam",
        (
            "Plus de deux mille lanternes en soie ont été suspendues le long de la rivière Hoài "
            "pour la soirée d'ouverture.",
            "Les organisateurs ont réservé une rue entière aux ateliers, où les visiteurs "
            "peuvent fabriquer leur propre lanterne.",
            "La municipalité attend près de cent mille visiteurs et a renforcé les navettes "
            "depuis Dà Nang.",
            "Un concours de photographie récompensera les meilleurs clichés de la semaine.",
        ),
        "Des lanternes illuminent les rues de la vieille ville de Hôi An. Photo : VNA",
    ),
    Story(
        "Le Vietnam et la France signent un accord sur la formation médicale",
        "Cinquante internes vietnamiens suivront chaque année un stage dans des hôpitaux "
        "universitaires français.",
        "Paris",
        (
            "L'accord a été paraphé au ministère français de la Santé en présence de "
            "l'ambassadeur du Vietnam.",
            "Les stages porteront d'abord sur la cardiologie, la réanimation et la médecine "
            "d'urgence.",
            "En retour, des médecins français animeront des sessions de formation continue à "
            "Huê et à Hô Chi Minh-Ville.",
            "Les deux parties ont salué trente ans de coopération hospitalière ininterrompue.",
            "Un premier groupe de stagiaires partira en septembre prochain.",
        ),
        "La cérémonie de signature à Paris. Photo : VNA",
    ),
    Story(
        "Les exportations de produits de la mer progressent de 12 %",
        "La crevette et le pangasius tirent les ventes à l'étranger sur les dix premiers mois "
        "de l'année.",
        "Hanoï",
        (
            "D'après l'association des exportateurs, les recettes ont dépassé 8,2 milliards de "
            "dollars à fin octobre.",
            "Les États-Unis restent le premier débouché, devant le Japon et la Chine.",
            "Les professionnels s'inquiètent toutefois du coût du fret maritime, en hausse "
            "depuis l'été.",
        ),
        "Conditionnement de crevettes dans une usine de Cà Mau. Photo : VNA",
    ),
    Story(
        "L'Assemblée nationale examine le projet de loi sur les données",
        "Les députés ont débattu mardi des règles de conservation des données personnelles par "
        "les entreprises.",
        "Hanoï",
        (
            "Le texte impose aux plateformes de désigner un responsable de la protection des "
            "données pour chaque service.",
            "Plusieurs députés ont réclamé des délais plus longs pour les petites entreprises.",
            "Le ministre de la Sécurité publique a précisé que les sanctions seraient graduées "
            "selon la taille de l'entreprise.",
            "Le vote final est prévu lors de la dernière semaine de la session.",
        ),
        "Une séance plénière de l'Assemblée nationale. Photo : VNA",
    ),
    Story(
        "Da Lat accueille un forum sur le tourisme vert",
        "Des représentants de vingt provinces échangent sur les moyens de limiter l'empreinte "
        "des visiteurs.",
        "Lâm Dông",
        (
            "Le forum s'est ouvert par une présentation des sentiers de randonnée balisés autour "
            "du lac Tuyên Lâm.",
            "Les hôteliers présents ont signé une charte sur la réduction du plastique à usage "
            "unique.",
            "La province veut doubler d'ici 2030 la part des hébergements certifiés.",
        ),
        "Des visiteurs sur un sentier forestier près de Da Lat. Photo : VNA",
    ),
    Story(
        "Le Premier ministre reçoit l'ambassadrice de Nouvelle-Zélande",
        "Les entretiens ont porté sur l'éducation, l'agriculture et les énergies renouvelables.",
        "Hanoï",
        (
            "Le chef du gouvernement a félicité l'ambassadrice pour sa prise de fonctions et "
            "souhaité un dialogue régulier.",
            "Il a invité les entreprises néo-zélandaises à investir dans la transformation des "
            "produits laitiers.",
            "L'ambassadrice a indiqué que son pays accueillerait davantage d'étudiants "
            "vietnamiens dès la rentrée.",
            "Les deux parties visent un commerce bilatéral de deux milliards de dollars.",
        ),
        "Le Premier ministre et l'ambassadrice de Nouvelle-Zélande. Photo : VNA",
    ),
    Story(
        "Une nouvelle ligne de métro entre en service à Hô Chi Minh-Ville",
        "Les premiers passagers ont emprunté dimanche matin la ligne reliant Bên Thành au parc "
        "technologique.",
        "Hô Chi Minh-Ville",
        (
            "La ligne compte quatorze stations, dont trois souterraines dans le centre-ville.",
            "Les trajets sont gratuits pendant le premier mois afin d'habituer les habitants au "
            "nouveau mode de transport.",
            "La ville prévoit de relier la ligne aux lignes de bus par des correspondances "
            "réaménagées.",
        ),
        "Une rame du métro à la station Bên Thành. Photo : VNA",
    ),
    Story(
        "Le Vietnam remporte trois médailles d'or aux championnats d'Asie de tir",
        "Les tireurs vietnamiens ont dominé les épreuves au pistolet à dix mètres.",
        "Djakarta",
        (
            "La délégation termine troisième au classement des médailles, derrière la Chine et "
            "l'Inde.",
            "L'entraîneur national a salué la régularité d'une équipe largement renouvelée.",
            "Ces résultats ouvrent la voie à deux qualifications olympiques supplémentaires.",
        ),
        "Les médaillés vietnamiens sur le podium. Photo : VNA",
    ),
    Story(
        "Hanoï restaure les maisons tubes du vieux quartier",
        "Soixante façades de la rue Hàng Bac seront rénovées selon les techniques d'origine.",
        "Hanoï",
        (
            "Les travaux sont confiés à des artisans formés par l'école des métiers du patrimoine.",
            "Les habitants pourront rester dans leurs logements pendant la durée du chantier.",
            "La ville publiera un guide des couleurs et des matériaux autorisés dans le quartier.",
            "Le coût est partagé entre la municipalité et un fonds de conservation.",
        ),
        "Une façade restaurée de la rue Hàng Bac. Photo : VNA",
    ),
    Story(
        "Le secteur textile vise 47 milliards de dollars d'exportations",
        "Les industriels comptent sur les accords de libre-échange pour compenser la baisse des "
        "commandes.",
        "Hanoï",
        (
            "Le groupe public du textile a indiqué que ses carnets de commandes étaient remplis "
            "jusqu'en février.",
            "Les entreprises investissent dans des teintureries moins gourmandes en eau pour "
            "répondre aux exigences des clients.",
            "La pénurie de main-d'œuvre qualifiée reste le premier frein cité par les employeurs.",
        ),
        "Une chaîne de confection dans la province de Nam Dinh. Photo : VNA",
    ),
    Story(
        "La Mer Orientale au cœur d'un colloque international",
        "Des chercheurs de quinze pays ont débattu du droit de la mer et de la sécurité maritime.",
        "Hanoï",
        (
            "Les participants ont rappelé le poids du texte signé à Montego Bay en 1982, "
            "qui fixe les règles des espaces maritimes.",
            "Plusieurs intervenants ont plaidé pour un code de conduite contraignant dans la "
            "région.",
            "Le colloque s'est conclu par un appel au règlement pacifique des différends.",
            "Les actes seront publiés en anglais et en vietnamien au printemps.",
        ),
        "Les participants au colloque sur la sécurité maritime. Photo : VNA",
    ),
    Story(
        "Une exposition retrace cent ans de presse révolutionnaire",
        "Le musée de la presse présente des journaux, des machines et des photos rarement montrés.",
        "Hanoï",
        (
            "Les visiteurs peuvent voir une presse typographique utilisée dans la clandestinité.",
            "Une salle est consacrée aux correspondants de guerre et à leurs carnets.",
            "L'exposition restera ouverte jusqu'à la fin de l'année, entrée libre.",
        ),
        "Des visiteurs devant une presse typographique ancienne. Photo : VNA",
    ),
    Story(
        "Les Affairesétrangères lancent un portail pour les Vietnamiens de l'étranger",
        "Le site réunit les démarches consulaires, les offres d'emploi et l'actualité des "
        "communautés.",
        "Hanoï",
        (
            "Enrecevant la presse, le vice-ministre a expliqué que le portail remplacerait "
            "quatre sites plus anciens.",
            "Les services consulaires y publieront les horaires et les pièces à fournir pour "
            "chaque démarche.",
            "Une version mobile doit suivre au début de l'année prochaine.",
        ),
        "Le lancement du portail au ministère des Affaires étrangères. Photo : VNA",
    ),
    Story(
        "Quang Ninh accueille un sommet régional sur l'économie maritime",
        "Les provinces côtières du Nord ont adopté une feuille de route pour les ports et "
        "l'aquaculture.",
        "Quang Ninh",
        (
            "La feuille de route prévoit de moderniser trois ports en eau profonde d'ici cinq ans.",
            "Les aquaculteurs recevront des cages plus résistantes aux tempêtes grâce à un "
            "crédit préférentiel.",
            "Le sommet a aussi examiné la protection des récifs de la baie d'Ha Long.",
            "La prochaine édition se tiendra à Hai Phong.",
        ),
        "Vue du port de Cai Lân dans la province de Quang Ninh. Photo : VNA",
    ),
    Story(
        "Le Laos et le Vietnam célèbrent l'amitié à la frontière",
        "Des habitants des deux côtés ont participé à une fête commune au poste frontière de "
        "Cha Lo.",
        "Quang Binh",
        (
            "Les autorités locales ont échangé des cadeaux et planté des arbres le long de la "
            "route frontalière.",
            "Un match de football amical a opposé les gardes-frontières des deux pays.",
            "Les deux provinces ont promis de faciliter le passage des commerçants.",
        ),
        "Des habitants lors de la fête au poste frontière. Photo : VNA",
    ),
    Story(
        "Huê prépare la restauration du pavillon de la Splendeur",
        "Le centre de conservation des monuments a présenté les plans aux experts de l'UNESCO.",
        "Thua Thiên-Huê",
        (
            "Les relevés ont été réalisés à partir de photographies du début du siècle dernier.",
            "Le bois de fer utilisé pour la charpente proviendra de plantations certifiées.",
            "Le chantier devrait durer trois ans et restera visible aux visiteurs.",
        ),
        "Une maquette du pavillon présentée aux experts. Photo : VNA",
    ),
    Story(
        "Bac Ninh attire un nouvel investissement dans les semi-conducteurs",
        "Un groupe sud-coréen va construire une usine d'assemblage de puces dans un parc "
        "industriel de la province.",
        "Bac Ninh",
        (
            "L'investissement atteint 900 millions de dollars et doit créer trois mille emplois.",
            "La province a promis de former des techniciens avec les universités de la région.",
            "La production doit démarrer à la fin de l'année prochaine.",
        ),
        "La remise de la licence d'investissement. Photo : VNA",
    ),
)

# Other articles of the same site, as boxes show them: (headline, teaser).
TEASERS: tuple[tuple[str, str], ...] = (
    (
        "Can Tho inaugure un pont au-dessus du fleuve Hâu",
        "L'ouvrage réduit d'une heure le trajet vers les provinces de l'Ouest.",
    ),
    (
        "Record de visiteurs étrangers au premier semestre",
        "Les arrivées de touristes coréens et japonais ont nettement augmenté depuis janvier.",
    ),
    (
        "La Banque d'État maintient ses taux directeurs",
        "Le gouverneur a justifié la décision par une inflation contenue et un crédit sain.",
    ),
    (
        "Un typhon menace les provinces du Centre",
        "Les autorités ont ordonné l'évacuation des habitants des zones basses du littoral.",
    ),
    (
        "Le café vietnamien séduit les torréfacteurs italiens",
        "Les ventes de robusta vers l'Europe du Sud ont doublé en un an.",
    ),
    (
        "Ouverture d'une ligne aérienne directe entre Dà Nang et Lyon",
        "Trois vols par semaine seront assurés à partir du printemps prochain.",
    ),
    (
        "Des archéologues découvrent une citadelle du XIVe siècle",
        "Les fouilles de Thanh Hoa ont mis au jour des fondations en briques bien conservées.",
    ),
    (
        "Les start-up de la fintech lèvent des fonds records",
        "Les paiements mobiles représentent désormais un tiers des transactions urbaines.",
    ),
    (
        "Le parc national de Cuc Phuong accueille des pangolins réhabilités",
        "Vingt animaux saisis aux trafiquants ont été relâchés dans la forêt primaire.",
    ),
    (
        "Le vice-président rencontre la diaspora à Genève",
        "Il a salué la contribution des intellectuels d'origine vietnamienne à la recherche.",
    ),
    (
        "Hai Phong lance la construction d'un terminal à conteneurs",
        "Le terminal pourra accueillir les plus grands porte-conteneurs d'Asie.",
    ),
    (
        "Le prix du poivre remonte après deux années de baisse",
        "Les cultivateurs des Hauts Plateaux espèrent une meilleure récolte.",
    ),
    (
        "Un nouveau musée d'art contemporain à Hanoï",
        "La collection réunit quatre cents œuvres d'artistes vietnamiens de trois générations.",
    ),
    (
        "La sélection féminine de football qualifiée pour la finale",
        "Les joueuses ont battu la Thaïlande deux buts à un au terme d'un match disputé.",
    ),
    (
        "Les universités adoptent un calendrier commun d'admission",
        "Les candidats pourront s'inscrire en ligne du premier au vingt juillet.",
    ),
    (
        "Le Cambodge et le Vietnam dragueront ensemble le canal Vinh Tê",
        "Les travaux amélioreront la navigation et l'irrigation des rizières voisines.",
    ),
    (
        "Le salon du livre de Hô Chi Minh-Ville ferme ses portes",
        "Plus de trois cent mille ouvrages ont été vendus pendant la semaine.",
    ),
    (
        "La province de Gia Lai plante dix millions d'arbres",
        "La campagne vise à restaurer les forêts dégradées le long des cours d'eau.",
    ),
    (
        "Le Japon finance une usine de traitement des eaux à Huê",
        "Le prêt à taux réduit couvre la moitié du coût de construction.",
    ),
    (
        "Les producteurs de litchis de Bac Giang visent l'Australie",
        "Un premier lot irradié a passé les contrôles phytosanitaires à Sydney.",
    ),
    (
        "Un concert de musique de chambre franco-vietnamien à l'Opéra",
        "Les musiciens ont interprété Debussy et des chants populaires du Nord.",
    ),
    (
        "La police démantèle un réseau d'escroquerie en ligne",
        "Les suspects promettaient de faux emplois à domicile sur les réseaux sociaux.",
    ),
    (
        "Le gouvernement simplifie les procédures d'investissement",
        "Le délai de délivrance des licences passera de quinze à sept jours ouvrables.",
    ),
    (
        "Le Vietnam envoie des casques bleus au Soudan du Sud",
        "Un hôpital de campagne de niveau deux relève l'équipe arrivée l'an dernier.",
    ),
)

# Longer teaser paragraphs, for boxes whose text outweighs a brief.
LONG_TEASER_SENTENCES: tuple[str, ...] = (
    "Les autorités provinciales ont présenté un plan en sept points pour accélérer les "
    "chantiers en retard et ont promis des contrôles mensuels sur le terrain.",
    "Les délégués ont entendu les rapports des ministères avant d'adopter une résolution "
    "sur les priorités budgétaires des deux prochaines années.",
    "Selon les chiffres publiés lundi, la production industrielle a progressé dans la "
    "plupart des branches, portée par l'électronique et l'agroalimentaire.",
    "Les experts interrogés estiment que la tendance devrait se poursuivre au cours des "
    "prochains mois si la demande extérieure reste soutenue.",
    "La réunion a également permis de faire le point sur la préparation de la saison des "
    "pluies dans les districts de montagne.",
    "Les organisateurs ont remercié les bénévoles venus de toute la région et annoncé une "
    "nouvelle édition, plus longue, pour l'année prochaine.",
)

COMMENTS: tuple[tuple[str, str], ...] = (
    ("Minh Tuân", "Très bonne nouvelle pour notre région, il était temps."),
    ("Claire D.", "J'ai visité cet endroit l'an dernier, les habitants sont formidables."),
    ("Hoàng Anh", "Espérons que les promesses seront tenues cette fois-ci."),
    ("Jean-Marc", "Article intéressant, merci pour ces précisions sur le calendrier."),
    ("Lan Phuong", "Quand est-ce que les travaux commencent exactement ?"),
    ("Patrick L.", "Il faudrait aussi penser aux petites communes rurales."),
    ("Thu Hà", "Mon village attend ce projet depuis dix ans."),
    ("Sophie M.", "Bravo aux équipes qui ont rendu cela possible."),
)

NEWSLETTER_LINES: tuple[str, ...] = (
    "Recevez chaque matin l'essentiel de l'actualité dans votre boîte aux lettres.",
    "Inscrivez-vous gratuitement et ne manquez plus aucune dépêche.",
    "Get the morning briefing from Hanoi delivered to your inbox.",
    "Nhận bản tin mỗi sáng qua thư điện tử của bạn.",
    "Une lettre quotidienne, sans publicité, désinscription en un clic.",
)

FOOTER_LINES: tuple[str, ...] = (
    "Directrice de la publication : Trân Thi Mai",
    "Siège : 12, rue de la Pagode, Hanoï",
    "Licence de presse n° 118/GP-BTTTT délivrée en 2019",
    "Toute reproduction sans autorisation écrite est interdite.",
    "Contact rédaction : redaction@journal.example",
    "© 2026 Agence de presse, tous droits réservés",
)

NAV_ITEMS: tuple[str, ...] = (
    "Accueil",
    "Politique",
    "Économie",
    "Société",
    "Monde",
    "Culture",
    "Sports",
    "Multimédia",
    "Thời sự",
    "Kinh tế",
)

TAGS: tuple[str, ...] = (
    "coopération régionale",
    "infrastructures de transport",
    "patrimoine culturel",
    "commerce extérieur",
    "développement durable",
    "relations bilatérales",
    "hợp tác quốc tế",
    "kinh tế biển",
    "économie numérique",
    "diplomatie parlementaire",
)

SHARE_LABELS: tuple[str, ...] = ("Facebook", "Zalo", "Twitter", "LinkedIn", "Imprimer", "E-mail")

# Closing credits as the outlets print them: (text, glued to the last paragraph?).
CREDITS: tuple[tuple[str, bool], ...] = (
    ("-VNA", True),
    (" -VNA", True),
    (" - VNA", True),
    (" – VNA", True),
    ("–VNA", True),
    (" -AVI", True),
    (" - VNA/VI", True),
    (" -VNA/VI", True),
    ("VNA/CVN", False),
    ("Xinhua/VNA/CVN", False),
    ("AVI/CVN", False),
)

DATELINE_FORMS: tuple[str, ...] = (
    "{place} (VNA) – ",
    "{place} (VNA) - ",
    "{place}, 4 décembre (VNA) - ",
)

SITE_NAMES: tuple[str, ...] = (
    "Le Journal du Mékong",
    "Écho d'Asie",
    "Báo Điện tử Bình Minh",
    "Hanoi Morning Wire",
    "La Dépêche de Saigon",
)

# Neutral words for class and id names: they say nothing about the element's role.
NEUTRAL_WORDS: tuple[str, ...] = (
    "lotus", "kappa", "orbit", "tile", "zx", "mango", "delta", "prism", "cedar", "nova",
    "bamboo", "wave", "qr", "helix", "amber", "pixel", "sora", "vane", "knot", "mesa",
    "rho", "fjord", "lumen", "tesla", "cobalt", "ivy", "saffron", "umbra", "zest", "yarn",
)  # fmt: skip

# Sentences that fit most stories; the generator appends a few to paragraphs, so that
# paragraphs run from one short sentence to several lines, as the outlets' do.
FILLERS: tuple[str, ...] = (
    "Cette initiative s'inscrit dans le cadre du partenariat stratégique entre les deux pays.",
    "Les responsables ont souligné la nécessité d'une coordination étroite entre les "
    "ministères et les autorités locales.",
    "Un comité de suivi se réunira chaque trimestre pour évaluer l'avancement des travaux.",
    "Les résultats obtenus au cours des cinq dernières années ont été jugés encourageants par "
    "l'ensemble des participants.",
    "Les entreprises du secteur privé seront associées aux prochaines étapes du projet.",
    "Le calendrier pourra être ajusté en fonction des conditions météorologiques de la saison.",
    "Selon les organisateurs, l'événement a réuni plusieurs centaines de personnes venues des "
    "provinces voisines.",
    "Les autorités ont appelé la population à suivre les consignes diffusées par les médias "
    "locaux.",
    "Des représentants d'organisations internationales assistaient également à la cérémonie.",
    "Les deux parties ont exprimé leur volonté de poursuivre le dialogue dans un esprit de "
    "confiance mutuelle.",
    "Le budget alloué provient pour l'essentiel de fonds publics, complétés par des prêts à "
    "taux préférentiel.",
    "Les experts recommandent de tirer les leçons des expériences menées dans d'autres pays de "
    "la région.",
    "La presse locale a largement rendu compte de l'événement, qui a suscité un vif intérêt.",
    "Un rapport détaillé sera remis au gouvernement avant la fin de l'année.",
    "Les jeunes diplômés devraient être les premiers bénéficiaires de ces nouvelles mesures.",
    "Les habitants interrogés se sont dits satisfaits, tout en espérant des résultats rapides.",
    "La prochaine réunion du groupe de travail est prévue au début du mois prochain.",
    "Les discussions se sont déroulées dans une atmosphère franche et cordiale.",
    "Plusieurs accords de coopération ont été signés en marge de la rencontre.",
    "Les autorités provinciales ont promis de simplifier les démarches administratives.",
    "La délégation a également visité une zone industrielle et un établissement scolaire.",
    "Cette approche doit permettre de mieux protéger l'environnement tout en soutenant la "
    "croissance.",
    "Le ministère a rappelé que la sécurité des personnes restait la priorité absolue.",
    "Des formations seront proposées aux agents chargés de la mise en œuvre du programme.",
)

# Kicker lines printed above some headlines (a rubric or dossier name, not article text).
KICKERS: tuple[str, ...] = (
    "Dossier spécial : la Mer Orientale",
    "Résolution du XIVᵉ Congrès du Parti",
    "Brèves de la semaine",
    "Nouvelles des provinces",
    "Regards croisés franco-vietnamiens",
)

# Closing sentences of an article that hold a link (the link in [brackets]): article
# text, not a "read also" line, though short and link-bearing.
LINKED_CLOSINGS: tuple[str, ...] = (
    "Le programme complet est publié sur [le site officiel de l'événement].",
    "Le texte intégral du communiqué peut être consulté sur [le portail du gouvernement].",
    "Les inscriptions restent ouvertes jusqu'à la fin du mois sur [le site de la province].",
    "Les candidatures se déposent en ligne auprès [du ministère concerné].",
)

# A link-free box: an agenda of coming events.
AGENDA: tuple[str, ...] = (
    "Lundi 9 h : conférence de presse mensuelle du gouvernement",
    "Mardi 14 h : ouverture de la foire commerciale Vietnam-Laos",
    "Mercredi : journée portes ouvertes au musée d'ethnographie",
    "Jeudi 20 h : concert de l'orchestre symphonique au Théâtre municipal",
    "Vendredi : clôture des inscriptions au marathon du patrimoine",
    "Samedi 8 h : marche pour l'environnement autour du lac de l'Ouest",
)

AUTHORS: tuple[tuple[str, str], ...] = (
    ("Minh Anh", "Journaliste au service économique, elle suit les grands chantiers du Nord."),
    ("Hoàng Lâm", "Correspondant permanent dans le delta du Mékong depuis 2019."),
    ("Claire Nguyen", "Reporter franco-vietnamienne, spécialiste des questions culturelles."),
)

SUBSECTIONS: tuple[str, ...] = ("Diplomatie", "Entreprises", "Patrimoine", "Environnement", "Santé")

# Intertitles some longer articles carry before their last paragraphs (article text).
INTERTITLES: tuple[str, ...] = (
    "Des retombées attendues",
    "Un calendrier serré",
    "Les prochaines étapes",
    "Des défis à relever",
    "Une coopération de longue date",
)

# Articles that end on a list: an introducing sentence, then the items (article text).
LIST_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Le plan prévoit notamment :",
        (
            "la rénovation de cent kilomètres de routes rurales ;",
            "la construction de trois écoles dans les districts de montagne ;",
            "un fonds d'aide aux petites entreprises touchées par les inondations.",
        ),
    ),
    (
        "Les deux parties se sont engagées à :",
        (
            "organiser une réunion annuelle au niveau ministériel ;",
            "faciliter la délivrance des visas pour les hommes d'affaires ;",
            "soutenir les échanges entre universités et instituts de recherche.",
        ),
    ),
    (
        "Parmi les mesures annoncées figurent :",
        (
            "la gratuité des transports publics pour les élèves ;",
            "l'extension des horaires des services publics en ligne ;",
            "un contrôle renforcé de la qualité de l'air dans les grandes villes.",
        ),
    ),
)
