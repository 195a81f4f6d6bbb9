"""Forms for staffing an exercise: one person, a CSV roster, its confirmation. They only validate;
exercises/services/staffing.py reads the roster and writes."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exercises.forms_scenarios import PlainLabels
from exercises.models import Participant

MAX_ROSTER_BYTES = 200_000


class RoleField(forms.ChoiceField):
    """facilitator, evaluator or player, whatever the case a spreadsheet wrote it in."""

    def to_python(self, value):
        return super().to_python(value).strip().lower()


class PersonForm(PlainLabels, forms.Form):
    """One person taking part: an existing account (by email, case-insensitively, or user name) or a new one.

    The field names are the roster's column names, so an error names its column. `teams` maps the
    exercise's team codes to its teams (read once for a whole roster)."""

    name = forms.CharField(max_length=150, required=False, label=_("Name"))
    email = forms.EmailField(
        max_length=254,
        required=False,
        label=_("Email"),
        error_messages={"invalid": _("“%(value)s” is not an email address.")},
    )
    username = forms.CharField(
        max_length=150,
        required=False,
        label=_("User name"),
        validators=[UnicodeUsernameValidator()],
        error_messages={"max_length": _("A user name has at most 150 characters.")},
    )
    role = RoleField(
        choices=Participant.Role.choices,
        label=_("Role"),
        error_messages={
            "required": _("Give the role: facilitator, evaluator or player."),
            "invalid_choice": _("“%(value)s” is not a role: write facilitator, evaluator or player."),
        },
    )
    team = forms.CharField(max_length=40, required=False, label=_("Team"))

    def __init__(self, *args, teams: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = teams

    def _team_list(self) -> str:
        return ", ".join(self.teams) or gettext("none")

    def clean_team(self):
        code = self.cleaned_data["team"].strip().upper()
        if not code:
            return None
        if code not in self.teams:
            from exercises.models import Team

            known = Team.objects.filter(code=code).exists()
            if known:
                message = gettext("%(code)s does not take part in this exercise; its teams are %(teams)s.")
            else:
                message = gettext("%(code)s is not a team code; its teams are %(teams)s.")
            raise forms.ValidationError(message % {"code": code, "teams": self._team_list()})
        return self.teams[code]

    def clean(self):
        cleaned = super().clean()
        role, team = cleaned.get("role"), cleaned.get("team")
        if "team" not in self.errors:
            if role == Participant.Role.PLAYER and team is None:
                self.add_error(
                    "team",
                    gettext("A player plays for exactly one team: give its code (%(teams)s).")
                    % {"teams": self._team_list()},
                )
            elif role and role != Participant.Role.PLAYER and team is not None:
                self.add_error("team", _("Only players have a team: leave it empty for a facilitator or an evaluator."))
        if "email" not in self.errors and "username" not in self.errors:
            self._find_account(cleaned)
        return cleaned

    def _find_account(self, cleaned):
        """cleaned["user"]: the existing account to link (None: a new one); cleaned["matched_by"]: how."""
        users = get_user_model().objects
        email, username = cleaned.get("email", ""), cleaned.get("username", "")
        by_username = None
        if username:  # Django's user names are case-sensitive; a spreadsheet's case may not be
            by_username = users.filter(username=username).first() or users.filter(username__iexact=username).first()
        by_email = list(users.filter(email__iexact=email)[:2]) if email else []
        user, matched_by = None, ""
        if by_username is not None:
            if by_email and by_username not in by_email:
                self.add_error(
                    "username",
                    gettext("%(username)s is another person's account than the one with this email.")
                    % {"username": username},
                )
                return
            user, matched_by = by_username, "username"
        elif len(by_email) > 1:
            self.add_error("email", _("Several accounts have this email: give the user name of the right one."))
            return
        elif by_email:
            user, matched_by = by_email[0], "email"
        if user is not None and not user.is_active:
            self.add_error(
                matched_by,
                gettext("The account %(username)s is deactivated; an administrator can reactivate it.")
                % {"username": user.get_username()},
            )
            return
        if user is None:
            if username and not email:
                self.add_error("username", _("No account has that user name; give an email to create a new one."))
            elif not email:
                self.add_error("email", _("Give an email: it finds an existing account or creates a new one."))
            if not cleaned.get("name"):
                self.add_error("name", _("Give the person's name: a new account is created for them."))
        cleaned["user"], cleaned["matched_by"] = user, matched_by


class ParticipantForm(PersonForm):
    """Add one person to the exercise, or change an existing participant's role or team."""

    field_order = ["name", "email", "username", "role", "team", "email_invitation"]
    email_invitation = forms.BooleanField(
        required=False, initial=True, label=_("Email a new account its invitation link")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("An existing account with this email is added; otherwise one is created.")
        self.fields["username"].help_text = _("Optional: an existing account's user name, or the new account's.")
        self.fields["name"].help_text = _("Needed for a new account.")
        self.fields["role"].initial = Participant.Role.PLAYER
        self.fields["team"].widget = forms.Select(
            choices=[("", gettext("— (facilitators and evaluators)"))]
            + [(code, team.name) for code, team in self.teams.items()]
        )
        self.fields["team"].help_text = _("Players only: the one team they play for.")


class RosterForm(PlainLabels, forms.Form):
    """A roster pasted or uploaded as CSV (a file, when one is chosen); cleaned_data["text"] is its text."""

    rows = forms.CharField(
        required=False,
        label=_("Paste the rows"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "A header row, then one person a row: name,email,role,team then Ada Byrne,ada@example.org,player,USA"
        ),
    )
    file = forms.FileField(
        required=False, label=_("Or upload a CSV file"), help_text=_("A file chosen here replaces the rows above.")
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d kB.") % {"size": MAX_ROSTER_BYTES // 1000}
            )
        return upload

    def clean(self):
        from exercises.services.staffing import decode_roster

        cleaned = super().clean()
        text, upload = cleaned.get("rows", "").strip(), cleaned.get("file")
        if "file" in self.errors:
            return cleaned
        if upload:  # a file chosen replaces the rows in the box (a preview fills the box with the file's rows)
            text = decode_roster(upload.read()).strip()
            if not text:
                self.add_error("file", _("The file is empty."))
        elif not text:
            raise forms.ValidationError(_("Paste the rows, or choose a CSV file."))
        cleaned["text"] = text
        return cleaned


class RosterConfirmForm(forms.Form):
    """The roster as previewed, sent back to be written."""

    roster = forms.CharField(max_length=MAX_ROSTER_BYTES, widget=forms.Textarea(attrs={"hidden": True}))
    email_invitations = forms.BooleanField(
        required=False, initial=True, label=_("Email each new account its invitation link")
    )
