# Texts the page scripts show (server/web/static/js/app). Each page gets
# them as JSON; { $name } is filled in by the script.

working = One moment…
device-not-enrolled = This phone is not set up yet. You need the code from the school.
device-enrolled = This phone is set up for { $name }.
enroll-done-text = This phone is now set up for { $name }. Its key stays on this phone.

err-network = The school's server cannot be reached. Check your internet connection and try again.
err-unsupported = This browser cannot make a safe key for your consent. Update it, or use a recent Chrome, Safari, Firefox or Edge.
err-code-format = A code has 16 letters and digits. Check what you typed, or scan the QR code on the letter.
err-bad-code = This code does not work. It was used already, it has expired, or a letter was typed wrong. Check the code, or ask the school for a new one.
err-too-many = Too many tries in a short time. Wait a minute, then try again.
err-already-enrolled = This phone is already set up for { $name }. To set it up for someone else, use another browser or phone.
err-not-enrolled = This phone is not set up yet. Set it up with the code from the school first.
err-cut-off = The school does not recognise this phone any more: it may have been cut off. Ask the school for a new code.
err-guardian-missing = You are younger than the school's age for consent, so a parent must sign with you. Choose your parent below and check again.
err-no-guardian = You are younger than the school's age for consent, so a parent must sign with you, but the school has not linked a parent to you yet. Ask the school to do that.
err-cosign-damaged = This request was changed or damaged after your child made it, so it cannot be signed. Ask your child to make it again.
err-cosign-not-yours = This request asks for another parent's signature. Open it on the phone of the parent your child chose.
err-cosign-not-child = The school has not recorded you as this child's parent or guardian. Ask the school to link you.
err-unknown-token = This consent is not in your record. Open My record and choose it there.
err-clock = The time on this phone is wrong, so the school cannot accept what it signs. Set the phone's time automatically and try again.
err-other = Something went wrong ({ $code }). Try again; if it keeps happening, tell the school.

fresh-now = Checked with the school just now.
fresh-when = Status last checked with the school: { $when }.
fresh-offline = No connection: this is the copy kept on this phone. Status last checked with the school: { $when }.

fact-person = Who
fact-media = What
fact-purposes = Where
fact-from = From
fact-until = Until
fact-status = Status
fact-signed-by = Signed by
signer-subject = { $name }
signer-guardian = { $guardian } (parent)
signer-both = { $name } and { $guardian } (parent)
a-parent = a parent

name-photo = photos
name-video = videos
name-audio = sound recordings
name-internal = in class and inside the school
name-website = the school's website
name-social-media = the school's social media
name-newsletter = newsletter and brochures
name-yearbook = the yearbook
name-press = newspapers and TV

standing-valid = valid
standing-revoked = withdrawn on { $date }
standing-expired = ended on { $date }
standing-waiting = waiting for the school
token-line = { $media } for { $purposes }, until { $until }
withdrawal-one = Withdrew one consent on { $date }
withdrawal-all = Withdrew all consent given up to { $date }
withdrawal-by-school = The school withdrew consent on { $date }
publication-line = { $channel }, { $date }, { $state }
publication-live = still online
publication-flagged = flagged for takedown
publication-down = taken down on { $date }

who-me = Me, { $name }
who-child = { $name } (my child)
show-for = Consent of { $name }
cosign-intro = { $child } asks you to co-sign this consent. Check it before you sign.
cosign-done = Your signature is added. The consent of { $child } counts now.
withdrawn-text = Withdrawn on { $when }. From now on, every teacher's check refuses it.
withdrawn-flagged = Publications flagged for the school to take down: { $count }.
withdrawn-none = Nothing published with it needs to be taken down.
pending-share-title = Consent to co-sign
