"""Prepares a saved ACS OpenAPI (Swagger 2.0) spec for schemathesis without changing what it describes:

- bundles the external `$ref`s (the shared Common definitions, saved under acs-specs/common/ in another layout than
  the original repository's, see acs-specs/README.md) into the document, so it is self-contained;
- drops `x-ms-examples` (autorest examples, kept in files that were not saved);
- pins the `api-version` query parameter to the version under test (an enum of one), so generated requests ask for
  the version the server implements; negative generation still sends other values now and then.
"""

import copy
import json
import os
import re

SECTIONS = ("definitions", "parameters", "responses")


def saved_location(reference, referring_file, specs_root):
    """Where acs-specs/ keeps the file a `$ref` names (acs-specs/README.md, "Resolving $refs")."""
    common = re.search(r"(?:^|/)Common/stable/([^/]+)/([\w.-]+\.json)$", reference)
    if common:
        version, name = common.groups()
        # Common 2021-03-07 common.json was not saved: it has the same CommunicationError shapes as 2022-07-13's.
        if (version, name) == ("2021-03-07", "common.json"):
            version = "2022-07-13"
        return os.path.join(specs_root, "common", "stable", version, name)
    if reference.endswith("common-types/data-plane/v1/types.json"):
        return os.path.join(specs_root, "common", "common-types", "data-plane", "v1", "types.json")
    path = os.path.normpath(os.path.join(os.path.dirname(referring_file), reference))
    if os.path.exists(path):
        return path
    raise ValueError(f"no saved copy of {reference!r} (referred to from {referring_file})")


class Bundler:
    def __init__(self, specs_root):
        self.specs_root = specs_root
        self.prefixes = {}   # saved file path -> prefix of its sections in the bundle
        self.pending = []

    def prefix_for(self, path):
        if path not in self.prefixes:
            name = re.sub(r"[^A-Za-z0-9]+", "_", os.path.relpath(path, self.specs_root)).strip("_")
            name = re.sub(r"^common_(stable_)?|_json$", "", name)
            self.prefixes[path] = f"{name}__"
            self.pending.append(path)
        return self.prefixes[path]

    def rewrite(self, node, own_prefix, own_path):
        """Rewrites the refs in `node`: internal ones get `own_prefix` (empty for the main document), external ones
        the prefix of the file they point into."""
        if isinstance(node, dict):
            result = {}
            for key, value in node.items():
                if key == "x-ms-examples":  # autorest examples, in files that were not saved
                    continue
                if key == "$ref" and isinstance(value, str):
                    file_part, _, pointer = value.partition("#")
                    parts = pointer.lstrip("/").split("/", 1)
                    if file_part:
                        prefix = self.prefix_for(saved_location(file_part, own_path, self.specs_root))
                    else:
                        prefix = own_prefix
                    if len(parts) == 2 and parts[0] in SECTIONS:
                        value = f"#/{parts[0]}/{prefix}{parts[1]}"
                    elif file_part:
                        raise ValueError(f"unsupported external reference {value!r}")
                result[key] = self.rewrite(value, own_prefix, own_path) if key != "$ref" else value
            return result
        if isinstance(node, list):
            return [self.rewrite(item, own_prefix, own_path) for item in node]
        return node

    def bundle(self, document, path):
        bundled = self.rewrite(document, "", path)
        while self.pending:
            path = self.pending.pop()
            prefix = self.prefixes[path]
            with open(path) as source:
                external = json.load(source)
            for section in SECTIONS:
                for name, value in (external.get(section) or {}).items():
                    bundled.setdefault(section, {})[prefix + name] = self.rewrite(value, prefix, path)
        return bundled


def pin_api_version(document, api_version):
    def pin(parameter):
        if isinstance(parameter, dict) and parameter.get("name") == "api-version" and parameter.get("in") == "query":
            parameter["enum"] = [api_version]
            parameter.pop("default", None)

    for parameter in (document.get("parameters") or {}).values():
        pin(parameter)
    for item in document.get("paths", {}).values():
        for parameter in item.get("parameters", []):
            pin(parameter)
        for method, operation in item.items():
            if isinstance(operation, dict):
                for parameter in operation.get("parameters", []):
                    pin(parameter)


def prepare(spec_path, api_version, specs_root, output_path):
    with open(spec_path) as source:
        document = json.load(source)
    declared = (document.get("info") or {}).get("version")
    bundled = Bundler(specs_root).bundle(copy.deepcopy(document), os.path.abspath(spec_path))
    pin_api_version(bundled, api_version)
    os.makedirs(os.path.dirname(output_path), exist_ok=True)
    with open(output_path, "w") as out:
        json.dump(bundled, out, indent=1)
    operations = sum(1 for item in bundled["paths"].values() for method in item
                     if method in ("get", "put", "post", "delete", "patch", "head", "options"))
    return {"operations": operations, "specVersion": declared}
