"""Deterministic tenant seeding: same (users, seed) -> same objects, ids and settings.

``--users N`` is the number of Entra user objects (members, guests and the disabled
accounts behind shared/room/equipment mailboxes). Timestamps of sign-in events are stored
as offsets and anchored at seeding time so that "last 7 days" queries find data.
"""
import datetime as _dt
import random

from .apps import DEFAULT_DOMAIN, EXO_OU_ROOT, INITIAL_DOMAIN, MAIL_ROUTING_DOMAIN, TENANT_ID
from .util import guid_from_rng, iso

FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret "
    "Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin "
    "Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon "
    "Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen "
    "Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory "
    "Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry "
    "Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia Zoe Lukas Sofia "
    "Mateo Aisha Hiroshi Priya Wei Olga Diego Fatima Noah Ingrid Lars Chloe"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Larsen Novak Schmidt Tanaka Okafor Kowalski Dubois Rossi Silva Haddad Lindqvist"
).split()
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Human Resources", "Operations", "Legal", "IT", "Support")
TITLES = {
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Engineering Manager", "QA Engineer"),
    "Sales": ("Account Executive", "Sales Manager", "Sales Representative"),
    "Marketing": ("Marketing Specialist", "Content Strategist", "Marketing Manager"),
    "Finance": ("Accountant", "Financial Analyst", "Controller"),
    "Human Resources": ("HR Generalist", "Recruiter", "HR Manager"),
    "Operations": ("Operations Analyst", "Logistics Coordinator", "Operations Manager"),
    "Legal": ("Paralegal", "Counsel"),
    "IT": ("Systems Administrator", "Help Desk Technician", "IT Manager", "Security Engineer"),
    "Support": ("Support Engineer", "Customer Success Manager"),
}
SITES = (
    ("Seattle", "United States", "US", "en-US", "Building 1"),
    ("New York", "United States", "US", "en-US", "Tower 2"),
    ("London", "United Kingdom", "GB", "en-GB", "Canary Wharf"),
    ("Berlin", "Germany", "DE", "de-DE", "Mitte Campus"),
    ("Paris", "France", "FR", "fr-FR", "La Defense"),
    ("Tokyo", "Japan", "JP", "ja-JP", "Shinagawa"),
    ("Sydney", "Australia", "AU", "en-AU", "Barangaroo"),
)
GUEST_DOMAINS = ("fabrikam.com", "northwindtraders.com", "adventure-works.com", "gmail.com", "outlook.com", "tailspintoys.com")

SKUS = {
    "E3": ("6fd2c87f-b296-42f0-b197-1e91e994b900", "efb87545-963c-4e0d-99df-69c6916d9eb0", "ExchangeOnlineEnterprise"),
    "E5": ("06ebc4ee-1bb5-47dd-8120-11324bc54e06", "efb87545-963c-4e0d-99df-69c6916d9eb0", "ExchangeOnlineEnterprise"),
    "F3": ("4b585984-651b-448a-9e53-3b10f069cf7f", "4a82b400-a79f-41a4-b4e2-e94f5787b113", "ExchangeOnlineDeskless"),
    "EXO1": ("4b9405b0-7788-4568-add1-99614e613b69", "9aaf7827-d63c-4b61-89c3-182f06f82e5c", "ExchangeOnline"),
}
PLAN_NAMES = ("ExchangeOnline", "ExchangeOnlineEnterprise", "ExchangeOnlineDeskless", "ExchangeOnlineEssentials")

# The clientAppUsed values of the sign-in logs for legacy clients (as Entra ID writes them).
LEGACY_CLIENTS = ("Exchange ActiveSync", "IMAP4", "POP3", "Authenticated SMTP", "MAPI Over HTTP",
                  "Outlook Anywhere (RPC over HTTP)", "Exchange Web Services", "Autodiscover", "Offline Address Book",
                  "Exchange Online PowerShell", "Other clients")
# The CAS mailbox parameter that gates each legacy client.
LEGACY_SETTINGS = {"Exchange ActiveSync": "ActiveSyncEnabled", "IMAP4": "ImapEnabled", "POP3": "PopEnabled",
                   "Authenticated SMTP": "SmtpClientAuthenticationDisabled", "MAPI Over HTTP": "MAPIEnabled",
                   "Exchange Web Services": "EwsEnabled"}
# Who uses what, in order, for the first enabled members with a user mailbox: (clientAppUsed,
# recent (last 6 days) or stale (16-26 days ago), success or failure (every sign-in failed)).
LEGACY_PROFILES = (
    ("Exchange ActiveSync", "recent", "success"),
    ("Exchange ActiveSync", "recent", "success"),
    ("Exchange ActiveSync", "recent", "success"),
    ("Exchange ActiveSync", "stale", "success"),
    ("IMAP4", "recent", "success"),
    ("IMAP4", "stale", "success"),
    ("IMAP4", "recent", "failure"),
    ("POP3", "recent", "success"),
    ("Authenticated SMTP", "recent", "success"),
    ("Authenticated SMTP", "recent", "success"),
    ("MAPI Over HTTP", "recent", "success"),
    ("Exchange Web Services", "recent", "success"),
    ("Other clients", "recent", "success"),
)
# deviceDetail.operatingSystem, deviceDetail.browser and userAgent as the logs show them per client.
LEGACY_DEVICES = {
    "Exchange ActiveSync": ("Ios", "", "Apple-iPhone15C2/2104.187"),
    "IMAP4": ("", "", "BAV2ROPC"),
    "POP3": ("", "", "BAV2ROPC"),
    "Authenticated SMTP": ("", "", "BAV2ROPC"),
    "MAPI Over HTTP": ("Windows 10", "", "Microsoft Office/14.0 (Windows NT 6.1; Microsoft Outlook 14.0.7268; Pro)"),
    "Exchange Web Services": ("MacOs", "", "MacOutlook/16.84.24041420 (Intelx64 Mac OS X 14.4.1 (Build 23E224))"),
    "Other clients": ("", "", "python-requests/2.31.0"),
}
MODERN_DEVICES = (
    ("Windows10", "Edge 124.0.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/124.0.0.0"),
    ("MacOs", "Safari 17.4", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 Safari/605.1.15"),
    ("Ios 17.4.1", "Mobile Safari 17.4", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) Mobile/15E148"),
)
MODERN_CLIENTS = ("Browser", "Mobile Apps and Desktop clients")
SIGNIN_APPS = (
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    ("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile"),
)

BASE_CREATED = _dt.datetime(2019, 3, 4, 9, 0, 0, tzinfo=_dt.timezone.utc)


def _guid_hex(guid):
    return guid.replace("-", "")


def organization_config_defaults():
    """Get-OrganizationConfig settings the simulator models, as a new tenant has them.

    EwsEnabled is null by default (Set-OrganizationConfig reference: "$null (blank): The setting
    isn't configured"); Exchange Online treats null as false from 1 October 2026. The EWS
    application policy and lists are unset as well.
    """
    return {
        "EwsEnabled": None,
        "EwsApplicationAccessPolicy": None,
        "EwsAllowList": None,
        "EwsBlockList": None,
        "EwsAllowEntourage": None,
        "EwsAllowMacOutlook": None,
        "EwsAllowOutlook": None,
        "OAuth2ClientProfileEnabled": True,
        "Guid": "5f0c7a1e-3b2d-4c8e-9a61-0d7e2b4f8c13",
        "WhenCreated": iso(BASE_CREATED),
    }


def mailbox_dn(name):
    parts = EXO_OU_ROOT.split("/")
    return "CN=%s,OU=%s,OU=Microsoft Exchange Hosted Organizations,DC=NAMPR12A005,DC=PROD,DC=OUTLOOK,DC=COM" % (
        name,
        parts[-1],
    )


class Seeder:
    def __init__(self, users, seed):
        self.n = max(1, int(users))
        self.seed = int(seed)
        self.rng = random.Random("m365sim:%d:%d" % (self.n, self.seed))
        self.upns = set()
        self.seeded_at = iso()

    def guid(self):
        return guid_from_rng(self.rng)

    def created(self, max_days=1800):
        return iso(BASE_CREATED + _dt.timedelta(days=self.rng.randrange(max_days), seconds=self.rng.randrange(86400)))

    def unique_local(self, local):
        candidate = local
        i = 1
        while candidate in self.upns:
            i += 1
            candidate = "%s%d" % (local, i)
        self.upns.add(candidate)
        return candidate

    # -- users --------------------------------------------------------------------
    def build(self):
        users, mailboxes = [], []
        plans = self.build_plans()
        plan_by_name = {p["DisplayName"]: p for p in plans}

        kinds = self.plan_kinds()
        for idx, kind in enumerate(kinds):
            user, mbx = self.make_user(idx, kind, plan_by_name)
            users.append(user)
            if mbx is not None:
                mailboxes.append(mbx)

        devices = self.build_devices()
        groups = self.build_groups(users, devices)
        data = {
            "format": 1,
            "params": {"users": self.n, "seed": self.seed},
            "seeded_at": self.seeded_at,
            "tenant": self.build_tenant(),
            "users": users,
            "groups": groups,
            "devices": devices,
            "security_defaults": {"isEnabled": False},
            "ca_policies": self.build_ca_policies(groups),
            "mailboxes": mailboxes,
            "cas_plans": plans,
            "transport_config": self.build_transport_config(),
            "organization_config": self.build_organization_config(),
            "signins": [],
            "legacy_users": [],
            "changes": [],
            "change_seq": 0,
        }
        data["signins"], data["legacy_users"] = self.build_signins(users, mailboxes)
        return data

    def plan_kinds(self):
        """Decide what each user slot is: well-known accounts first, then a mix."""
        n = self.n
        kinds = ["admin", "breakglass1", "breakglass2"][: min(3, n)]
        rest = n - len(kinds)
        special = []
        if n >= 20:
            special += ["shared"] * max(1, n * 3 // 100)
            special += ["room"] * max(1, n * 15 // 1000)
            special += ["equipment"] * max(1, n * 5 // 1000)
            special += ["guest"] * max(2, n * 6 // 100)
            special += ["twin"] * 2  # two members with the same display name (ambiguity)
        elif n >= 6:
            special += ["shared", "guest", "room"][: rest]
        special = special[:rest]
        members = ["member"] * (rest - len(special))
        mixed = members + special
        self.rng.shuffle(mixed)
        return kinds + mixed

    def make_user(self, idx, kind, plan_by_name):
        rng = self.rng
        uid = self.guid()
        site = SITES[rng.randrange(len(SITES))]
        dept = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        first = FIRST[rng.randrange(len(FIRST))]
        last = LAST[rng.randrange(len(LAST))]
        created = self.created()
        user = {
            "id": uid,
            "createdDateTime": created,
            "accountEnabled": True,
            "userType": "Member",
            "_kind": kind,
            "_mfa": "disabled",
            "_reg": False,
            "_lic": None,
        }
        lic = None
        mbx_type = None
        domain = DEFAULT_DOMAIN
        if kind == "admin":
            first, last, display = "Contoso", "Admin", "Contoso Administrator"
            local = self.unique_local("admin")
            domain = INITIAL_DOMAIN
            dept, lic, mbx_type = "IT", "E5", "UserMailbox"
            user.update({"jobTitle": "Global Administrator", "_mfa": "enforced", "_reg": True})
        elif kind.startswith("breakglass"):
            first, last, display = "Break", "Glass " + kind[-1], "Break Glass " + kind[-1]
            local = self.unique_local(kind)
            domain = INITIAL_DOMAIN
            dept = None
            user.update({"_reg": True})
        elif kind == "guest":
            gdomain = GUEST_DOMAINS[rng.randrange(len(GUEST_DOMAINS))]
            base = "%s.%s" % (first.lower(), last.lower())
            ext_local, i = base, 1
            while "%s_%s#EXT#" % (ext_local, gdomain) in self.upns:
                i += 1
                ext_local = "%s%d" % (base, i)
            local = self.unique_local("%s_%s#EXT#" % (ext_local, gdomain))
            display = "%s %s (%s)" % (first, last, gdomain.split(".")[0].capitalize())
            domain = INITIAL_DOMAIN
            accepted = rng.random() < 0.85
            user.update(
                {
                    "userType": "Guest",
                    "mail": "%s@%s" % (ext_local, gdomain),
                    "otherMails": ["%s@%s" % (ext_local, gdomain)],
                    "proxyAddresses": ["SMTP:%s@%s" % (ext_local, gdomain)],
                    "creationType": "Invitation",
                    "externalUserState": "Accepted" if accepted else "PendingAcceptance",
                    "externalUserStateChangeDateTime": created,
                    "companyName": gdomain.split(".")[0].capitalize(),
                    "_mfa": "disabled",
                }
            )
            dept = None
        elif kind in ("shared", "room", "equipment"):
            if kind == "shared":
                label = ("Sales", "Support", "Info", "Billing", "HR", "Facilities", "Press", "Careers")[idx % 8]
                display = "%s Team Mailbox %d" % (label, idx)
                local = self.unique_local("%s.team%d" % (label.lower(), idx))
                mbx_type = "SharedMailbox"
            elif kind == "room":
                display = "Conference Room %s %d" % (site[0], idx)
                local = self.unique_local("room.%s%d" % (site[0].lower().replace(" ", ""), idx))
                mbx_type = "RoomMailbox"
            else:
                display = "Projector %d (%s)" % (idx, site[0])
                local = self.unique_local("equipment.projector%d" % idx)
                mbx_type = "EquipmentMailbox"
            first, last, dept = None, None, None
            user["accountEnabled"] = False
        else:
            if kind == "twin":
                first, last = "Alex", "Johnson"
            display = "%s %s" % (first, last)
            local = self.unique_local("%s.%s" % (first.lower(), last.lower()))
            r = rng.random()
            lic = "E3" if r < 0.62 else "E5" if r < 0.80 else "F3" if r < 0.88 else "EXO1" if r < 0.93 else None
            if kind == "twin":
                lic = "E3"
            if lic:
                mbx_type = "UserMailbox"
            user["accountEnabled"] = rng.random() > 0.04
            user["jobTitle"] = TITLES[dept][rng.randrange(len(TITLES[dept]))]
            m = rng.random()
            if m < 0.15:
                user["_mfa"] = "enforced"
                user["_reg"] = True
            elif m < 0.27:
                user["_mfa"] = "enabled"
                user["_reg"] = rng.random() < 0.2
            else:
                user["_reg"] = rng.random() < 0.35
            if rng.random() < 0.12:
                user["onPremisesSyncEnabled"] = True
                user["onPremisesImmutableId"] = "%08x%08x==" % (rng.getrandbits(32), rng.getrandbits(32))
                user["onPremisesSamAccountName"] = local[:20]
                user["onPremisesDomainName"] = "corp.contoso.com"
                user["onPremisesUserPrincipalName"] = "%s@corp.contoso.com" % local
                user["onPremisesLastSyncDateTime"] = self.created(30)
                user["onPremisesSecurityIdentifier"] = "S-1-5-21-%d-%d-%d-%d" % (
                    rng.getrandbits(30), rng.getrandbits(30), rng.getrandbits(30), 1000 + idx)
            user["employeeId"] = "%06d" % (100000 + idx)
            user["mobilePhone"] = "+1 425 555 %04d" % rng.randrange(10000) if rng.random() < 0.6 else None
            user["businessPhones"] = ["+1 425 555 %04d" % rng.randrange(10000)] if rng.random() < 0.7 else []
        upn = "%s@%s" % (local, domain)
        user.update(
            {
                "userPrincipalName": upn,
                "displayName": display,
                "givenName": first,
                "surname": last,
                "mailNickname": local.split("#")[0],
                "_lic": lic,
            }
        )
        if kind not in ("guest", "shared", "room", "equipment") and dept:
            user.update(
                {
                    "department": dept,
                    "officeLocation": site[4],
                    "city": site[0],
                    "country": site[1],
                    "usageLocation": site[2],
                    "preferredLanguage": site[3],
                    "companyName": "Contoso Ltd",
                }
            )
        elif kind not in ("guest",):
            user["usageLocation"] = "US"
        mbx = None
        if mbx_type:
            alias = local
            smtp = "%s@%s" % (local, domain)
            addresses = ["SMTP:" + smtp]
            if domain != INITIAL_DOMAIN:
                addresses.append("smtp:%s@%s" % (local, INITIAL_DOMAIN))
            addresses.append("smtp:%s@%s" % (local, MAIL_ROUTING_DOMAIN))
            if kind == "member" and rng.random() < 0.1:
                addresses.append("smtp:%s%s@%s" % (first[0].lower() if first else "x", (last or "x").lower(), domain))
            user["mail"] = smtp
            user["proxyAddresses"] = addresses
            mbx = self.make_mailbox(user, alias, smtp, addresses, mbx_type, lic, plan_by_name, kind)
        if lic:
            user["_lic"] = lic
        return {k: v for k, v in user.items() if v is not None}, mbx

    def make_mailbox(self, user, alias, smtp, addresses, rtd, lic, plan_by_name, kind):
        rng = self.rng
        guid = self.guid()
        plan_display = SKUS[lic][2] if lic else None
        plan = plan_by_name.get(plan_display) if plan_display else None
        cas = {}
        # Plan-derived defaults (ExchangeOnlineDeskless: IMAP off).
        if plan and plan.get("ImapEnabled") is False:
            cas["ImapEnabled"] = False
        if rtd == "UserMailbox":
            if rng.random() < 0.20:
                cas["ImapEnabled"] = False
            if rng.random() < 0.25:
                cas["PopEnabled"] = False
            if rng.random() < 0.05:
                cas["ActiveSyncEnabled"] = False
            if rng.random() < 0.02:
                cas["MAPIEnabled"] = False
            if rng.random() < 0.03:
                cas["OWAEnabled"] = False
            if rng.random() < 0.03:
                cas["EwsEnabled"] = False
            if rng.random() < 0.04:
                cas["OutlookMobileEnabled"] = False
            r = rng.random()
            if r < 0.15:
                cas["SmtpClientAuthenticationDisabled"] = True
            elif r < 0.25:
                cas["SmtpClientAuthenticationDisabled"] = False
        elif rtd == "SharedMailbox":
            if rng.random() < 0.6:
                cas["ImapEnabled"] = False
                cas["PopEnabled"] = False
            if rng.random() < 0.3:
                cas["SmtpClientAuthenticationDisabled"] = False if rng.random() < 0.5 else True
        else:
            cas["ImapEnabled"] = False
            cas["PopEnabled"] = False
        return {
            "Guid": guid,
            "ExchangeGuid": self.guid(),
            "ExternalDirectoryObjectId": user["id"],
            "Name": alias,
            "Alias": alias,
            "DisplayName": user["displayName"],
            "FirstName": user.get("givenName") or "",
            "LastName": user.get("surname") or "",
            "UserPrincipalName": user["userPrincipalName"],
            "PrimarySmtpAddress": smtp,
            "EmailAddresses": list(addresses),
            "RecipientTypeDetails": rtd,
            "WhenCreated": user["createdDateTime"],
            "Plan": plan["Name"] if plan else None,
            "LegacyExchangeDN": "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=%s-%s"
            % (_guid_hex(guid), alias[:5]),
            "cas": cas,
        }

    # -- groups / devices ------------------------------------------------------------
    def build_devices(self):
        devices = []
        for i, (os_name, version, trust) in enumerate(
            (
                ("Windows", "10.0.22631.3447", "AzureAd"),
                ("Windows", "10.0.19045.4291", "ServerAd"),
                ("iOS", "17.4.1", "Workplace"),
                ("Android", "14.0", "Workplace"),
                ("MacMDM", "14.4.1", "Workplace"),
            )
        ):
            devices.append(
                {
                    "id": self.guid(),
                    "deviceId": self.guid(),
                    "displayName": "CONTOSO-%s-%03d" % (os_name[:3].upper(), i + 1),
                    "operatingSystem": os_name,
                    "operatingSystemVersion": version,
                    "trustType": trust,
                    "accountEnabled": True,
                    "isCompliant": i % 2 == 0,
                    "isManaged": True,
                    "createdDateTime": self.created(),
                    "approximateLastSignInDateTime": self.created(1800),
                }
            )
        return devices

    def group(self, name, description, members, security=True, unified=False, mail_nick=None, role_assignable=False):
        nick = mail_nick or "".join(ch for ch in name.lower() if ch.isalnum())[:40] or "group"
        gid = self.guid()
        g = {
            "id": gid,
            "displayName": name,
            "description": description,
            "mailNickname": nick,
            "securityEnabled": bool(security),
            "mailEnabled": bool(unified),
            "groupTypes": ["Unified"] if unified else [],
            "createdDateTime": self.created(),
            "isAssignableToRole": True if role_assignable else None,
            "visibility": "Private" if unified else None,
            "members": list(members),
        }
        if unified:
            g["mail"] = "%s@%s" % (nick, DEFAULT_DOMAIN)
            g["proxyAddresses"] = ["SMTP:%s@%s" % (nick, DEFAULT_DOMAIN), "smtp:%s@%s" % (nick, INITIAL_DOMAIN)]
            g["resourceProvisioningOptions"] = ["Team"] if len(members) % 2 == 0 else []
        g["securityIdentifier"] = "S-1-12-1-%d-%d-%d-%d" % tuple(self.rng.getrandbits(31) for _index in range(4))
        return {k: v for k, v in g.items() if v is not None}

    def build_groups(self, users, devices):
        by_kind = {}
        for u in users:
            by_kind.setdefault(u["_kind"], []).append(u)
        members = [u for u in users if u["_kind"] in ("member", "twin")]
        groups = []
        breakglass = [u["id"] for u in users if u["_kind"].startswith("breakglass")]
        g_bg = self.group(
            "Break Glass Accounts", "Emergency access accounts excluded from Conditional Access", breakglass,
            role_assignable=True,
        )
        groups.append(g_bg)
        admins = [u["id"] for u in users if u["_kind"] == "admin"] + [
            u["id"] for u in members if u.get("department") == "IT"
        ][:8]
        g_it_admins = self.group("IT Admins", "Administrators of the Contoso tenant", admins)
        groups.append(g_it_admins)

        dept_groups = {}
        for dept in DEPARTMENTS:
            ids = [u["id"] for u in members if u.get("department") == dept]
            dept_groups[dept] = self.group("Department - " + dept, "All members of " + dept, ids)
        # Nested: Engineering has a sub-team group whose members are also engineers,
        # and the sub-team contains a further nested group (two levels).
        eng = [u["id"] for u in members if u.get("department") == "Engineering"]
        g_platform_core = self.group("Engineering - Platform Core", "Core platform squad", eng[:3] + [devices[0]["id"]])
        g_platform = self.group("Engineering - Platform", "Platform team", eng[3:8] + [g_platform_core["id"]])
        dept_groups["Engineering"]["members"] = dept_groups["Engineering"]["members"][8:] + [g_platform["id"]]
        groups.extend(dept_groups.values())
        groups.extend([g_platform, g_platform_core])
        g_all = self.group(
            "All Employees", "Every employee (nested department groups)", [g["id"] for g in dept_groups.values()]
        )
        groups.append(g_all)
        guests = [u["id"] for u in by_kind.get("guest", [])]
        groups.append(self.group("External Partners", "Guest users from partner organisations", guests))
        g_mfa_ex = self.group(
            "MFA Exclusions", "Accounts and devices excluded from MFA policies",
            [g_bg["id"], devices[1]["id"]] + [u["id"] for u in by_kind.get("shared", [])][:2],
        )
        groups.append(g_mfa_ex)
        project = [u["id"] for u in members[:12]]
        groups.append(self.group("Project Phoenix", "Microsoft 365 group for Project Phoenix", project,
                                 security=False, unified=True, mail_nick="projectphoenix"))
        groups.append(self.group("Legacy Protocol Users", "Users allowed to use IMAP/POP", [u["id"] for u in members[12:20]]))
        return groups

    # -- policies -----------------------------------------------------------------
    def build_ca_policies(self, groups):
        from .graph_policies import normalize_ca_input  # local import: avoids a cycle

        bg = next(g["id"] for g in groups if g["displayName"] == "Break Glass Accounts")
        specs = [
            {
                "displayName": "Require MFA for administrators",
                "state": "enabled",
                "conditions": {
                    "clientAppTypes": ["all"],
                    "applications": {"includeApplications": ["All"]},
                    "users": {
                        "includeRoles": ["62e90394-69f5-4237-9190-012177145e10", "29232cdf-9323-42fd-ade2-1d097af3e4de"],
                        "excludeGroups": [bg],
                    },
                },
                "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
            },
            {
                "displayName": "Block legacy authentication",
                "state": "enabledForReportingButNotEnforced",
                "conditions": {
                    "clientAppTypes": ["exchangeActiveSync", "other"],
                    "applications": {"includeApplications": ["All"]},
                    "users": {"includeUsers": ["All"], "excludeGroups": [bg]},
                },
                "grantControls": {"operator": "OR", "builtInControls": ["block"]},
            },
            {
                "displayName": "Require compliant device for Office 365",
                "state": "disabled",
                "conditions": {
                    "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"],
                    "applications": {"includeApplications": ["Office365"]},
                    "users": {"includeUsers": ["All"], "excludeUsers": ["GuestsOrExternalUsers"], "excludeGroups": [bg]},
                    "platforms": {"includePlatforms": ["all"], "excludePlatforms": ["linux"]},
                },
                "grantControls": {"operator": "OR", "builtInControls": ["compliantDevice", "domainJoinedDevice"]},
                "sessionControls": {"signInFrequency": {"value": 12, "type": "hours", "isEnabled": True,
                                                        "authenticationType": "primaryAndSecondaryAuthentication",
                                                        "frequencyInterval": "timeBased"}},
            },
        ]
        out = []
        for spec in specs:
            policy = normalize_ca_input(spec)
            out.append({"id": self.guid(), "templateId": None, "createdDateTime": self.created(),
                        "modifiedDateTime": None, "deletedDateTime": None, **policy})
        return out

    def build_plans(self):
        plans = []
        for name in PLAN_NAMES:
            guid = self.guid()
            plans.append(
                {
                    "Guid": guid,
                    "Name": "%s-%s" % (name, guid),
                    "DisplayName": name,
                    "ActiveSyncEnabled": True,
                    "ImapEnabled": name != "ExchangeOnlineDeskless",
                    "PopEnabled": True,
                    "MAPIEnabled": True,
                    "OWAEnabled": True,
                    "EwsEnabled": True,
                    "ECPEnabled": True,
                    "OwaMailboxPolicy": "OwaMailboxPolicy-Default",
                    "IsDefault": name == "ExchangeOnlineEnterprise",
                    "WhenCreated": self.created(),
                }
            )
        return plans

    @staticmethod
    def build_organization_config():
        # No random draw here: the rest of the seeded tenant stays what it was before this existed.
        return organization_config_defaults()

    def build_transport_config(self):
        return {
            "AddressBookPolicyRoutingEnabled": False,
            "AllowLegacyTLSClients": False,
            "ClearCategories": True,
            "ConvertDisclaimerWrapperToEml": False,
            "DSNConversionMode": "PreserveDSNBody",
            "ExternalDelayDsnEnabled": True,
            "ExternalDsnDefaultLanguage": None,
            "ExternalDsnLanguageDetectionEnabled": True,
            "ExternalDsnReportingAuthority": None,
            "ExternalDsnSendHtml": True,
            "ExternalPostmasterAddress": None,
            "HeaderPromotionModeSetting": "NoCreate",
            "InternalDelayDsnEnabled": True,
            "InternalDsnDefaultLanguage": None,
            "InternalDsnLanguageDetectionEnabled": True,
            "InternalDsnReportingAuthority": None,
            "InternalDsnSendHtml": True,
            "JournalMessageExpirationDays": 0,
            "JournalingReportNdrTo": None,
            "MaxRecipientEnvelopeLimit": "Unlimited",
            "MessageExpiration": "1.00:00:00",
            "PreventDuplicateJournalingEnabled": False,
            "ReplyAllStormBlockDurationHours": 6,
            "ReplyAllStormDetectionMinimumRecipients": 2500,
            "ReplyAllStormDetectionMinimumReplies": 10,
            "ReplyAllStormProtectionEnabled": True,
            "Rfc2231EncodingEnabled": False,
            "SmtpClientAuthenticationDisabled": True,
            "VoicemailJournalingEnabled": True,
            "Guid": self.guid(),
            "WhenCreated": self.created(),
        }

    def build_tenant(self):
        return {
            "id": TENANT_ID,
            "createdDateTime": iso(BASE_CREATED - _dt.timedelta(days=30)),
        }

    # -- sign-ins -----------------------------------------------------------------
    def build_signins(self, users, mailboxes):
        """Modern sign-ins for up to 400 enabled members; legacy ones for a fixed subset (LEGACY_PROFILES).

        The legacy subset is the first enabled members with a UserMailbox, in seeding order, one
        profile each; their mailboxes allow the protocol they use (a success needs it) and
        their per-user MFA is disabled (it has not yet broken them). ``legacy_users`` in the
        state and in ``/_sim/state?summary=1`` names them.
        """
        rng = self.rng
        mbx_by_user = {m["ExternalDirectoryObjectId"]: m for m in mailboxes}
        candidates = [u for u in users if u["_kind"] in ("member", "twin", "admin") and u.get("accountEnabled")]
        limit = min(len(candidates), 400)
        events = []
        for u in candidates[:limit]:
            for _index in range(rng.randrange(1, 4)):
                client = MODERN_CLIENTS[rng.randrange(len(MODERN_CLIENTS))]
                app = SIGNIN_APPS[rng.randrange(1, len(SIGNIN_APPS))]
                failed = rng.random() < 0.08
                profile = MODERN_DEVICES[rng.randrange(len(MODERN_DEVICES))] if client == "Browser" else \
                    ("Windows10", "", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)")
                events.append(self.signin_event(u, client, app, rng.randrange(30 * 86400),
                                                50126 if failed else 0, profile))
        legacy_users = []
        eligible = [u for u in users if u["_kind"] == "member" and u.get("accountEnabled")
                    and (mbx_by_user.get(u["id"]) or {}).get("RecipientTypeDetails") == "UserMailbox"]
        for u, (client, recency, outcome) in zip(eligible, LEGACY_PROFILES):
            mbx = mbx_by_user[u["id"]]
            if outcome == "success":
                parameter = LEGACY_SETTINGS.get(client)
                if parameter == "SmtpClientAuthenticationDisabled":
                    mbx["cas"][parameter] = False
                elif parameter:
                    mbx["cas"].pop(parameter, None)
            u["_mfa"] = "disabled"
            low, high = (3600, 6 * 86400) if recency == "recent" else (16 * 86400, 26 * 86400)
            count = rng.randrange(4, 13)
            offsets = sorted(rng.randrange(low, high) for _index in range(count))
            for offset in offsets:
                code = 0 if outcome == "success" else 50126
                events.append(self.signin_event(u, client, SIGNIN_APPS[0], offset, code, LEGACY_DEVICES[client]))
            legacy_users.append({"userPrincipalName": u["userPrincipalName"], "id": u["id"],
                                 "clientAppUsed": client, "recency": recency, "outcome": outcome,
                                 "signIns": count, "lastOffset": offsets[0]})
        events.sort(key=lambda e: e["_offset"])
        return events, legacy_users

    def signin_event(self, user, client, app, offset, error_code, device):
        operating_system, browser, user_agent = device
        return {
            "id": self.guid(),
            "_offset": offset,
            "userId": user["id"],
            "userPrincipalName": user["userPrincipalName"],
            "userDisplayName": user["displayName"],
            "appId": app[0],
            "appDisplayName": app[1],
            "clientAppUsed": client,
            "ipAddress": "203.0.113.%d" % self.rng.randrange(1, 255),
            "correlationId": self.guid(),
            # v1.0 lists interactive sign-ins; legacy clients pass the password, which is interactive.
            "isInteractive": True,
            "errorCode": error_code,
            "city": user.get("city") or "Seattle",
            "country": user.get("usageLocation") or "US",
            "os": operating_system,
            "browser": browser,
            "userAgent": user_agent,
        }
