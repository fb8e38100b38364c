# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX / Automation Platform examples under docs/examples/awx: custom credential types and a
job template survey. They are checked against the controller's own rules for those objects
(the fields and injectors a credential type may declare, the question types a survey may ask),
and against the collection: every environment variable a credential type injects is one the
modules read, and every survey variable is one the baseline's roles take.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys

import pytest
import yaml

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(COLLECTION, "docs", "examples", "awx")

# AWX's CredentialType input schema (awx/main/fields.py, CredentialTypeInputField) and injector
# schema (CredentialTypeInjectorField), reduced to what these examples may use.
FIELD_KEYS = {"id", "label", "type", "secret", "multiline", "help_text", "choices", "format", "ask_at_runtime"}
FIELD_TYPES = {"string", "boolean"}
INJECTOR_KEYS = {"file", "env", "extra_vars"}
# Survey question types of the job template survey spec.
QUESTION_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
QUESTION_KEYS = {"question_name", "question_description", "variable", "type", "choices", "default", "required",
                 "min", "max", "new_question"}


def credential_types():
    return sorted(glob.glob(os.path.join(EXAMPLES, "credential_type_*.yml")))


def module_environment_variables():
    """Every environment variable a connection option falls back to."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION))))
    from ansible_collections.m365.admin.plugins.module_utils._connection import CONNECTION_ARGUMENT_SPEC
    names = set()
    for spec in CONNECTION_ARGUMENT_SPEC.values():
        if "fallback" in spec:
            names.update(spec["fallback"][1])
    return names


def role_variables():
    names = set()
    for path in glob.glob(os.path.join(COLLECTION, "roles", "*", "meta", "argument_specs.yml")):
        with open(path) as handle:
            names.update(yaml.safe_load(handle)["argument_specs"]["main"]["options"])
    return names


def test_there_is_a_credential_type_per_sign_in_kind():
    names = [os.path.basename(path) for path in credential_types()]
    assert names == ["credential_type_certificate.yml", "credential_type_secret.yml",
                     "credential_type_workload_identity.yml"]


@pytest.mark.parametrize("path", credential_types(), ids=os.path.basename)
def test_credential_type_follows_the_controllers_schema(path):
    with open(path) as handle:
        document = yaml.safe_load(handle)
    assert document["kind"] == "cloud" and document["name"]
    fields = document["inputs"]["fields"]
    ids = [field["id"] for field in fields]
    assert len(ids) == len(set(ids)) and all(re.match(r"^[a-z][a-z0-9_]*$", i) for i in ids)
    for field in fields:
        assert set(field) <= FIELD_KEYS, field
        assert field["type"] in FIELD_TYPES and field["label"]
    assert set(document["inputs"]["required"]) <= set(ids)
    injectors = document["injectors"]
    assert set(injectors) <= INJECTOR_KEYS
    files = injectors.get("file", {})
    assert all(re.match(r"^template(\.[a-z_]+)?$", name) for name in files)
    file_names = set(name.split(".", 1)[1] for name in files if "." in name)
    # Templates may name the type's own fields, and tower.filename.<x> for a file it injects.
    for value in list(injectors.get("env", {}).values()) + list(files.values()):
        for reference in re.findall(r"{{\s*([\w.]+)\s*}}", str(value)):
            if reference.startswith("tower.filename."):
                assert reference[len("tower.filename."):] in file_names, reference
            else:
                assert reference in ids, reference


@pytest.mark.parametrize("path", credential_types(), ids=os.path.basename)
def test_credential_type_injects_only_what_the_modules_read(path):
    with open(path) as handle:
        document = yaml.safe_load(handle)
    env = document["injectors"]["env"]
    assert set(env) <= module_environment_variables()
    # Secrets are never injected as extra variables, which a job's output can show.
    assert "extra_vars" not in document["injectors"]
    secret_ids = [field["id"] for field in document["inputs"]["fields"] if field.get("secret")]
    assert secret_ids, "a credential type without a secret needs no credential"


def test_survey_follows_the_job_template_survey_spec_and_asks_for_role_variables():
    with open(os.path.join(EXAMPLES, "survey.json")) as handle:
        survey = json.load(handle)
    assert survey["name"] and isinstance(survey["spec"], list) and survey["spec"]
    variables = [question["variable"] for question in survey["spec"]]
    assert len(variables) == len(set(variables))
    assert set(variables) <= role_variables()
    for question in survey["spec"]:
        assert set(question) <= QUESTION_KEYS, question
        assert question["type"] in QUESTION_TYPES and question["question_name"]
        if question["type"] in ("multiplechoice", "multiselect"):
            assert isinstance(question["choices"], list) and question.get("default", "") in question["choices"]
        if question["type"] == "integer":
            assert question["min"] <= question["default"] <= question["max"]
