# Teksten die de paginascripts laten zien (server/web/static/js/app). Elke
# pagina krijgt ze als JSON; { $name } vult het script in.

working = Even geduld…
device-not-enrolled = Deze telefoon is nog niet ingesteld. Je hebt de code van school nodig.
device-enrolled = Deze telefoon is ingesteld voor { $name }.
enroll-done-text = Deze telefoon is nu ingesteld voor { $name }. De sleutel blijft op deze telefoon.

err-network = De server van school is niet bereikbaar. Controleer je internetverbinding en probeer het opnieuw.
err-unsupported = Deze browser kan geen veilige sleutel voor je toestemming maken. Werk hem bij, of gebruik een recente Chrome, Safari, Firefox of Edge.
err-code-format = Een code heeft 16 letters en cijfers. Controleer wat je typte, of scan de QR-code op de brief.
err-bad-code = Deze code werkt niet. Hij is al gebruikt, verlopen, of er is een letter verkeerd getypt. Controleer de code, of vraag de school om een nieuwe.
err-too-many = Te vaak geprobeerd in korte tijd. Wacht een minuut en probeer het dan opnieuw.
err-already-enrolled = Deze telefoon is al ingesteld voor { $name }. Gebruik een andere browser of telefoon om hem voor iemand anders in te stellen.
err-not-enrolled = Deze telefoon is nog niet ingesteld. Stel hem eerst in met de code van school.
err-cut-off = De school herkent deze telefoon niet meer: misschien is hij afgesloten. Vraag de school om een nieuwe code.
err-guardian-missing = Je bent jonger dan de leeftijd die de school voor toestemming aanhoudt, dus een ouder moet meetekenen. Kies hieronder je ouder en bekijk het opnieuw.
err-no-guardian = Je bent jonger dan de leeftijd die de school voor toestemming aanhoudt, dus een ouder moet meetekenen, maar de school heeft nog geen ouder aan je gekoppeld. Vraag de school om dat te doen.
err-cosign-damaged = Dit verzoek is veranderd of beschadigd nadat je kind het maakte, dus je kunt het niet ondertekenen. Vraag je kind om het opnieuw te maken.
err-cosign-not-yours = Dit verzoek vraagt de handtekening van een andere ouder. Open het op de telefoon van de ouder die je kind koos.
err-cosign-not-child = De school heeft je niet als ouder of verzorger van dit kind vastgelegd. Vraag de school om je te koppelen.
err-unknown-token = Deze toestemming staat niet in je gegevens. Open Mijn gegevens en kies hem daar.
err-clock = De tijd op deze telefoon klopt niet, dus de school kan niet aannemen wat hij ondertekent. Zet de tijd van de telefoon op automatisch en probeer het opnieuw.
err-other = Er ging iets mis ({ $code }). Probeer het opnieuw; blijft het gebeuren, vertel het dan aan school.

fresh-now = Zojuist gecontroleerd bij school.
fresh-when = Status het laatst gecontroleerd bij school: { $when }.
fresh-offline = Geen verbinding: dit is de kopie op deze telefoon. Status het laatst gecontroleerd bij school: { $when }.

fact-person = Wie
fact-media = Wat
fact-purposes = Waar
fact-from = Vanaf
fact-until = Tot en met
fact-status = Status
fact-signed-by = Ondertekend door
signer-subject = { $name }
signer-guardian = { $guardian } (ouder)
signer-both = { $name } en { $guardian } (ouder)
a-parent = een ouder

name-photo = foto's
name-video = video's
name-audio = geluidsopnames
name-internal = in de les en binnen school
name-website = de website van school
name-social-media = sociale media van school
name-newsletter = nieuwsbrief en folders
name-yearbook = het jaarboek
name-press = kranten en tv

standing-valid = geldig
standing-revoked = ingetrokken op { $date }
standing-expired = afgelopen op { $date }
standing-waiting = wacht op school
token-line = { $media } voor { $purposes }, tot en met { $until }
withdrawal-one = Eén toestemming ingetrokken op { $date }
withdrawal-all = Alle toestemming tot { $date } ingetrokken
withdrawal-by-school = De school trok toestemming in op { $date }
publication-line = { $channel }, { $date }, { $state }
publication-live = staat nog online
publication-flagged = gemeld om weg te halen
publication-down = weggehaald op { $date }

who-me = Ikzelf, { $name }
who-child = { $name } (mijn kind)
show-for = Toestemming van { $name }
cosign-intro = { $child } vraagt je deze toestemming mee te ondertekenen. Bekijk hem voordat je tekent.
cosign-done = Je handtekening staat eronder. De toestemming van { $child } telt nu.
withdrawn-text = Ingetrokken op { $when }. Vanaf nu weigert elke controle door een leraar hem.
withdrawn-flagged = Publicaties die de school moet weghalen: { $count }.
withdrawn-none = Er hoeft niets te worden weggehaald dat ermee gepubliceerd is.
pending-share-title = Toestemming om mee te ondertekenen
