"""Texts: SMS length in segments, GSM-7 spelling, safe placeholders, French defaults."""

import pytest
from django.core.exceptions import ValidationError

from accueil.notify import texts
from accueil.notify.models import Channel, Kind, MessageTemplate
from accueil.notify.sms import mask_phone, sms_length, sms_refusal, to_gsm7


class TestSegments:
    def test_empty(self):
        assert sms_length("").segments == 0

    @pytest.mark.parametrize(("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2)])
    def test_gsm7_limits(self, length, segments):
        assert sms_length("a" * length).segments == segments
        assert sms_length("a" * length).encoding == "GSM-7"

    def test_third_segment_starts_after_306_septets(self):
        assert sms_length("a" * 307).segments == 3
        assert sms_length("a" * 459).segments == 3
        assert sms_length("a" * 460).segments == 4

    def test_french_accents_of_the_gsm_alphabet_stay_gsm7(self):
        text = "Rendez-vous confirmé à 14 h, annulé ou déplacé : où ? Ça ira."
        assert sms_length(text).encoding == "GSM-7"

    def test_a_single_non_gsm_character_switches_to_ucs2(self):
        assert sms_length("a" * 100).segments == 1
        length = sms_length("a" * 99 + "ê")
        assert length.encoding == "UCS-2"
        assert length.units == 100
        assert length.segments == 2  # 70 per single SMS, then 67 per segment

    @pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
    def test_ucs2_limits(self, length, segments):
        assert sms_length("ç" * length).segments == segments

    def test_extension_characters_count_two_septets(self):
        assert sms_length("€" * 80).units == 160
        assert sms_length("€" * 80).segments == 1
        assert sms_length("€" * 81).segments == 2

    def test_an_escape_pair_never_straddles_two_segments(self):
        # 152 septets then "€" (2): the pair cannot fit in the first 153, it starts segment 2.
        text = "a" * 152 + "€" + "a" * 152
        length = sms_length(text)
        assert length.units == 306
        assert length.segments == 3

    def test_an_emoji_is_two_utf16_units(self):
        assert sms_length("🙂").units == 2
        assert sms_length("🙂" * 35).segments == 1
        assert sms_length("🙂" * 36).segments == 2

    def test_remaining_units(self):
        assert sms_length("a" * 150).remaining == 10
        assert sms_length("a" * 200).remaining == 106


class TestGsm7Spelling:
    def test_accents_outside_gsm7_lose_their_accent(self):
        assert (
            to_gsm7("Hôpital, fenêtre, garçon, août, naïf")
            == "Hopital, fenetre, garcon, aout, naif"
        )

    def test_gsm7_accents_are_kept(self):
        assert to_gsm7("été à Noël où") == "été à Noel où"

    def test_typography(self):
        assert to_gsm7("l’œil «ouvert» – 2…") == 'l\'oeil "ouvert" - 2...'

    def test_the_result_is_gsm7_except_what_has_no_equivalent(self):
        assert sms_length(to_gsm7("François Hervé-Gâteau")).encoding == "GSM-7"
        assert sms_length(to_gsm7("Merci 🙂")).encoding == "UCS-2"


class TestRendering:
    def test_known_placeholders_are_replaced(self):
        assert texts.render("Bonjour {patient_first_name}", {"patient_first_name": "Léa"}) == (
            "Bonjour Léa"
        )

    @pytest.mark.parametrize(
        "template",
        [
            "{patient.__class__}",
            "{patient_first_name.__class__.__init__.__globals__}",
            "{values[secret]}",
            "{patient_first_name!r}",
            "{patient_first_name:>30}",
            "{0}",
        ],
    )
    def test_no_attribute_index_or_format_access(self, template):
        # Only exact names of the values are replaced; anything else stays as typed.
        assert texts.render(template, {"patient_first_name": "Léa"}) == template

    def test_values_are_not_expanded_again(self):
        values = {"patient_first_name": "{manage_link}", "manage_link": "https://secret"}
        assert texts.render("{patient_first_name}", values) == "{manage_link}"

    def test_check_template_refuses_unknown_placeholders(self):
        with pytest.raises(ValidationError) as exc:
            texts.check_template(Kind.REMINDER, Channel.SMS, "", "RDV {date} {patient.__class__}")
        assert "Champ inconnu : {patient.__class__}" in exc.value.message_dict["body"][0]

    def test_check_template_refuses_sms_over_two_segments(self):
        with pytest.raises(ValidationError) as exc:
            texts.check_template(Kind.REMINDER, Channel.SMS, "", "RDV {date}. " + "x" * 280)
        assert "Texte trop long : 3 SMS" in exc.value.message_dict["body"][0]

    def test_check_template_accepts_a_good_text(self):
        texts.check_template(Kind.REMINDER, Channel.SMS, "", "Rappel : RDV {date}. {manage_link}")

    @pytest.mark.parametrize(("kind", "channel"), list(texts.DEFAULTS))
    def test_every_default_text_is_valid(self, kind, channel):
        subject, body = texts.DEFAULTS[(kind, channel)]
        texts.check_template(kind, channel, subject, body)

    @pytest.mark.parametrize("kind", [k for k, c in texts.DEFAULTS if c == Channel.SMS])
    def test_default_sms_fit_in_two_gsm7_segments_with_long_values(self, kind):
        body = texts.sms_text(
            texts.render(texts.DEFAULTS[(kind, Channel.SMS)][1], texts.SAMPLE_VALUES)
        )
        length = sms_length(body)
        assert length.encoding == "GSM-7"
        assert length.segments <= 2
        assert "{" not in body

    def test_an_organisation_text_replaces_the_default(self, db):
        from tests import factories

        org = factories.organisation()
        MessageTemplate.objects.create(
            organisation=org, kind=Kind.REMINDER, channel=Channel.SMS, body="A demain {date}"
        )
        assert texts.texts_for(org.id, Kind.REMINDER, Channel.SMS) == ("", "A demain {date}")
        other = factories.organisation()
        assert (
            texts.texts_for(other.id, Kind.REMINDER, Channel.SMS)
            == texts.DEFAULTS[(Kind.REMINDER, Channel.SMS)]
        )


class TestRecipients:
    @pytest.mark.parametrize(
        "phone",
        ["+33612345678", "+33756781234", "+262692123456", "+590690123456", "+596696123456"],
    )
    def test_french_mobiles_metropolitan_and_overseas(self, phone):
        assert sms_refusal(phone) == ""

    def test_foreign_number(self):
        assert sms_refusal("+32470123456") == "Numéro hors de France : SMS non envoyé."

    def test_landline(self):
        assert sms_refusal("+33142345678") == "Numéro de téléphone fixe : SMS impossible."

    def test_invalid(self):
        assert "invalide" in sms_refusal("+3361")

    def test_mask(self):
        assert mask_phone("+33612345678") == "+336••••••78"
