"""The words of the actions by role: each action's title and what it says it will do, the
confirmation, the result and the subjects' pages. The forms' fields and choices are in
`action_fields`."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "actions.hold.release.title": "Authorise the release",
        "actions.hold.release.says": (
            "This sends a release instruction to terminal {terminal} for containers "
            "{containers} of line {manifest_id}/{line_id}. Only {authority} may release this "
            "{regime} hold: the holds service refuses anyone else."
        ),
        "actions.hold.irregularity.title": "Record an irregularity",
        "actions.hold.irregularity.says": (
            "This records an irregularity with your statement of measures on hold {hold_id} "
            "and publishes it for DFB; the block at terminal {terminal} stays. Only "
            "{authority} may record one on this {regime} hold."
        ),
        "actions.hold.refuse.title": "Refuse the goods",
        "actions.hold.refuse.says": (
            "This closes hold {hold_id} with the goods refused (re-export or destruction); "
            "terminal {terminal} keeps the block on {containers} while the goods leave under "
            "supervision. Only {authority}."
        ),
        "actions.hold.destination.title": "Send for inspection elsewhere",
        "actions.hold.destination.says": (
            "This records the approved inspection centre the goods of hold {hold_id} must go "
            "to; when a block is out, terminal {terminal} gets a new block instruction "
            "naming it. Only {authority}."
        ),
        "actions.hold.block.title": "Send the block again",
        "actions.hold.block.says": (
            "This sends the block instruction for containers {containers} to terminal "
            "{terminal} again, after it was rejected (customs pre-arrival or the authority)."
        ),
        "actions.case.contact.title": "Record a contact",
        "actions.case.contact.says": (
            "This adds a contact with the party to case {case_id} of line "
            "{manifest_id}/{line_id}, with you as the officer (customs pre-arrival)."
        ),
        "actions.case.link.title": "Link a written pre-notification",
        "actions.case.link.says": (
            "This links a pre-notification the party sent (registered through the written "
            "channel) to case {case_id}; the matcher decides line {manifest_id}/{line_id} again "
            "with it (customs pre-arrival)."
        ),
        "actions.case.close.title": "Close the case",
        "actions.case.close.says": (
            "This closes case {case_id} with one outcome, for good. The first three outcomes ask "
            "the authority to release the line's holds; handing over keeps them (customs "
            "pre-arrival)."
        ),
        "actions.feed.declare.title": "Declare an emergency procedure",
        "actions.feed.declare.says": (
            "This declares an emergency procedure for feed {system}: while it runs the matcher "
            "issues no new unnotified or overdue for the feed's regimes, and every page shows "
            "a banner. Only the feed's authority may declare it."
        ),
        "actions.feed.end.title": "End the emergency procedure",
        "actions.feed.end.says": (
            "This ends the emergency procedure for feed {system}: the matcher flags missing "
            "pre-notifications again. Only the feed's authority may end it."
        ),
        "actions.indicator_set.activate.title": "Activate this indicator set",
        "actions.indicator_set.activate.says": (
            "This makes indicator set {version} decide every line from now on. Name the lines "
            "to try it on first: the confirmation shows their dry run (their decision now and "
            "under {version}; nothing is written). Analysts only."
        ),
        "actions.written.enter.title": "Enter a written pre-notification",
        "actions.written.enter.says": (
            "This registers a pre-notification received by fax, e-mail or letter in the "
            "pre-notification service, with you as the officer who entered it; the matcher "
            "matches it like any other. PD enters CHED-PP, NVWA CHED-P, CHED-A and CHED-D."
        ),
        "actions.review": "Review before sending",
        "actions.confirm_title": "Confirm: {action}",
        "actions.form_problems": "Nothing was sent. Correct these fields:",
        "actions.cancel": "Cancel",
        "actions.will_send": "What will be sent",
        "actions.as_you": "as {subject}.",
        "actions.no_body": "No body: the address says it all.",
        "actions.dry_run": "Dry run",
        "actions.dry_run_now": "Decision now",
        "actions.dry_run_trial": "Decision under {version}",
        "actions.dry_run_changes": "Changes",
        "actions.yes": "yes",
        "actions.no": "no",
        "actions.confirm": "Confirm and send",
        "actions.done": "Done: the {service} service accepted it ({status}).",
        "actions.now": "Now",
        "actions.refused": "Not done: the {service} service refused it ({status}).",
        "actions.back": "Back",
        "actions.key_rule": "the confirmation's token; open the action again",
        "actions.hold_title": "Hold {hold_id}",
        "actions.release_reason": "Release reason",
        "actions.instructions": "Instructions to the terminal",
        "actions.instruction_action": "Instruction",
        "actions.issued": "Issued",
        "actions.delivery": "Delivery",
        "actions.ack": "Terminal's answer",
        "actions.no_instructions": "No instruction was sent.",
        "actions.heading": "Actions",
        "actions.none": "Your role has no actions here.",
        "actions.case_title": "Case {case_id}",
        "actions.holds": "Holds of the line",
        "actions.contacts": "Contacts",
        "actions.officer": "Officer",
        "actions.no_contacts": "No contact recorded yet.",
        "actions.links": "Linked pre-notifications",
        "actions.feeds_title": "Feeds",
        "actions.prenotification_feeds": "Pre-notification feeds",
        "actions.feed": "Feed",
        "actions.last_record": "Last record",
        "actions.last_heartbeat": "Last heartbeat",
        "actions.emergency": "Emergency procedure",
        "actions.emergency_since": "since {since} (declared by {by})",
        "actions.manifest_feeds": "Manifest feeds",
        "actions.last_message": "Last message",
        "actions.sets_title": "Indicator sets",
        "actions.version": "Version",
        "actions.note": "Note",
        "actions.uploaded": "Uploaded",
        "actions.activated": "Activated",
        "actions.active": "Decides now",
        "actions.shipped": "shipped with the system",
        "actions.written_heading": "Written pre-notifications",
        "actions.result.hold_id": "Hold",
        "actions.result.case_id": "Case",
        "actions.result.irregularity_id": "Irregularity",
        "actions.result.system": "Feed",
        "actions.result.reference": "Reference",
        "actions.result.version": "Version",
        "actions.result.state": "State",
        "actions.result.status": "Status",
        "actions.result.outcome": "Outcome",
        "actions.result.block_status": "Block at the terminal",
        "actions.result.destination": "Inspection centre",
        "actions.result.released_by": "Released by",
        "actions.result.release_reason": "Release reason",
        "actions.result.emergency": "Emergency procedure",
        "actions.result.emergency_since": "Emergency since",
        "actions.result.emergency_declared_by": "Declared by",
        "actions.result.activated_by": "Activated by",
    },
    "nl": {
        "actions.hold.release.title": "Vrijgave autoriseren",
        "actions.hold.release.says": (
            "Dit stuurt een vrijgave-instructie naar terminal {terminal} voor containers "
            "{containers} van regel {manifest_id}/{line_id}. Alleen {authority} mag deze "
            "{regime}-blokkade vrijgeven: de blokkadedienst weigert ieder ander."
        ),
        "actions.hold.irregularity.title": "Onregelmatigheid vastleggen",
        "actions.hold.irregularity.says": (
            "Dit legt een onregelmatigheid met uw verklaring van maatregelen vast op blokkade "
            "{hold_id} en publiceert die voor DFB; de blokkering bij terminal {terminal} blijft. "
            "Alleen {authority} mag die vastleggen op deze {regime}-blokkade."
        ),
        "actions.hold.refuse.title": "Goederen weigeren",
        "actions.hold.refuse.says": (
            "Dit sluit blokkade {hold_id} met geweigerde goederen (wederuitvoer of vernietiging); "
            "terminal {terminal} houdt {containers} geblokkeerd terwijl de goederen onder "
            "toezicht vertrekken. Alleen {authority}."
        ),
        "actions.hold.destination.title": "Elders laten inspecteren",
        "actions.hold.destination.says": (
            "Dit legt het erkende inspectiecentrum vast waar de goederen van blokkade {hold_id} "
            "heen moeten; staat er een blokkering uit, dan krijgt terminal {terminal} een nieuwe "
            "blokkeerinstructie met die bestemming. Alleen {authority}."
        ),
        "actions.hold.block.title": "Blokkering opnieuw sturen",
        "actions.hold.block.says": (
            "Dit stuurt de blokkeerinstructie voor containers {containers} opnieuw naar terminal "
            "{terminal}, nadat die werd geweigerd (douane vooraankomst of de autoriteit)."
        ),
        "actions.case.contact.title": "Contact vastleggen",
        "actions.case.contact.says": (
            "Dit voegt een contact met de partij toe aan zaak {case_id} van regel "
            "{manifest_id}/{line_id}, met u als behandelaar (douane vooraankomst)."
        ),
        "actions.case.link.title": "Schriftelijke voormelding koppelen",
        "actions.case.link.says": (
            "Dit koppelt een voormelding die de partij stuurde (geregistreerd via het "
            "schriftelijke kanaal) aan zaak {case_id}; de matcher beslist regel "
            "{manifest_id}/{line_id} opnieuw met die voormelding (douane vooraankomst)."
        ),
        "actions.case.close.title": "Zaak sluiten",
        "actions.case.close.says": (
            "Dit sluit zaak {case_id} definitief met één uitkomst. De eerste drie uitkomsten "
            "vragen de autoriteit de blokkades van de regel vrij te geven; overdragen laat ze "
            "staan (douane vooraankomst)."
        ),
        "actions.feed.declare.title": "Noodprocedure afkondigen",
        "actions.feed.declare.says": (
            "Dit kondigt een noodprocedure af voor koppeling {system}: zolang die loopt geeft de "
            "matcher geen nieuwe 'niet voorgemeld' of 'te laat' voor de regimes van de koppeling, "
            "en elke pagina toont een banner. Alleen de autoriteit van de koppeling mag dit."
        ),
        "actions.feed.end.title": "Noodprocedure beëindigen",
        "actions.feed.end.says": (
            "Dit beëindigt de noodprocedure voor koppeling {system}: de matcher signaleert "
            "ontbrekende voormeldingen weer. Alleen de autoriteit van de koppeling mag dit."
        ),
        "actions.indicator_set.activate.title": "Deze indicatorenset activeren",
        "actions.indicator_set.activate.says": (
            "Hierdoor beslist indicatorenset {version} voortaan over elke regel. Noem de regels "
            "om hem eerst op te proberen: de bevestiging toont hun proefrun (hun beslissing nu "
            "en onder {version}; er wordt niets vastgelegd). Alleen analisten."
        ),
        "actions.written.enter.title": "Schriftelijke voormelding invoeren",
        "actions.written.enter.says": (
            "Dit registreert een voormelding die per fax, e-mail of brief binnenkwam in de "
            "voormeldingsdienst, met u als invoerende ambtenaar; de matcher koppelt haar zoals "
            "elke andere. PD voert CHED-PP in, NVWA CHED-P, CHED-A en CHED-D."
        ),
        "actions.review": "Controleren voor verzenden",
        "actions.confirm_title": "Bevestigen: {action}",
        "actions.form_problems": "Er is niets verzonden. Verbeter deze velden:",
        "actions.cancel": "Annuleren",
        "actions.will_send": "Wat er wordt verzonden",
        "actions.as_you": "als {subject}.",
        "actions.no_body": "Geen inhoud: het adres zegt genoeg.",
        "actions.dry_run": "Proefrun",
        "actions.dry_run_now": "Beslissing nu",
        "actions.dry_run_trial": "Beslissing onder {version}",
        "actions.dry_run_changes": "Verandert",
        "actions.yes": "ja",
        "actions.no": "nee",
        "actions.confirm": "Bevestigen en verzenden",
        "actions.done": "Gedaan: de dienst {service} heeft het aanvaard ({status}).",
        "actions.now": "Nu",
        "actions.refused": "Niet gedaan: de dienst {service} weigerde het ({status}).",
        "actions.back": "Terug",
        "actions.key_rule": "het token van de bevestiging; open de actie opnieuw",
        "actions.hold_title": "Blokkade {hold_id}",
        "actions.release_reason": "Reden van vrijgave",
        "actions.instructions": "Instructies aan de terminal",
        "actions.instruction_action": "Instructie",
        "actions.issued": "Verstuurd",
        "actions.delivery": "Aflevering",
        "actions.ack": "Antwoord van de terminal",
        "actions.no_instructions": "Er is geen instructie verstuurd.",
        "actions.heading": "Acties",
        "actions.none": "Uw rol heeft hier geen acties.",
        "actions.case_title": "Zaak {case_id}",
        "actions.holds": "Blokkades van de regel",
        "actions.contacts": "Contacten",
        "actions.officer": "Behandelaar",
        "actions.no_contacts": "Nog geen contact vastgelegd.",
        "actions.links": "Gekoppelde voormeldingen",
        "actions.feeds_title": "Koppelingen",
        "actions.prenotification_feeds": "Voormeldingskoppelingen",
        "actions.feed": "Koppeling",
        "actions.last_record": "Laatste bericht",
        "actions.last_heartbeat": "Laatste levensteken",
        "actions.emergency": "Noodprocedure",
        "actions.emergency_since": "sinds {since} (afgekondigd door {by})",
        "actions.manifest_feeds": "Manifestkoppelingen",
        "actions.last_message": "Laatste bericht",
        "actions.sets_title": "Indicatorensets",
        "actions.version": "Versie",
        "actions.note": "Toelichting",
        "actions.uploaded": "Geüpload",
        "actions.activated": "Geactiveerd",
        "actions.active": "Beslist nu",
        "actions.shipped": "meegeleverd met het systeem",
        "actions.written_heading": "Schriftelijke voormeldingen",
        "actions.result.hold_id": "Blokkade",
        "actions.result.case_id": "Zaak",
        "actions.result.irregularity_id": "Onregelmatigheid",
        "actions.result.system": "Koppeling",
        "actions.result.reference": "Referentie",
        "actions.result.version": "Versie",
        "actions.result.state": "Toestand",
        "actions.result.status": "Status",
        "actions.result.outcome": "Uitkomst",
        "actions.result.block_status": "Blokkering bij de terminal",
        "actions.result.destination": "Inspectiecentrum",
        "actions.result.released_by": "Vrijgegeven door",
        "actions.result.release_reason": "Reden van vrijgave",
        "actions.result.emergency": "Noodprocedure",
        "actions.result.emergency_since": "Noodprocedure sinds",
        "actions.result.emergency_declared_by": "Afgekondigd door",
        "actions.result.activated_by": "Geactiveerd door",
    },
}
