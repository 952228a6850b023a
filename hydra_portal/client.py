"""hydra-client: push plots into a Hydra portal and pull plots and labels out, through the public API.

Only the standard library (urllib), so it runs on any machine that makes plots::

    hydra-client --url https://hydra.example.org --token KEY upload ./plots --experiment gluex
    hydra-client plots --run 80464 --plot-type CDC_straw_occupancy
    hydra-client label 1234 Bad --comment "dead sector"

``--url`` and ``--token`` default to the environment variables HYDRA_URL and HYDRA_TOKEN, then to
what ``hydra-client --url URL login --username NAME`` stored (see ``credentials_path``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
BATCH_FILES = 50
# Keep each bulk request well under the server's HYDRA_MAX_UPLOAD_BYTES (512 MiB by default).
BATCH_BYTES = 128 * 1024 * 1024


class ApiError(Exception):
    """The portal answered with an error (its one error shape), or could not be reached."""

    def __init__(self, status: int, code: str, message: str, details=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def encode_multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body from (name, value) fields and (name, filename, bytes) files."""
    boundary = f"hydra-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        safe = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{safe}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.extend([head.encode(), data, b"\r\n"])
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """A thin client of the /api/v1/ endpoints."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 300):
        self.base = url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    def url(self, path: str, params: dict | None = None) -> str:
        full = urljoin(self.base, path.lstrip("/"))
        if params:
            full += "?" + urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        return full

    def request(self, method: str, url: str, body: bytes | None = None, content_type: str | None = None):
        """Send one request; return (status, decoded JSON body). Raise ApiError for 4xx/5xx."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if content_type:
            headers["Content-Type"] = content_type
        request = Request(url, data=body, method=method, headers=headers)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except HTTPError as exc:
            raw = exc.read()
            try:
                error = json.loads(raw)["error"]
            except (ValueError, KeyError, TypeError):
                raise ApiError(exc.code, "http_error", raw[:200].decode(errors="replace") or exc.reason) from None
            raise ApiError(exc.code, error["code"], error["message"], error.get("details")) from None
        except URLError as exc:
            raise ApiError(0, "unreachable", f"cannot reach {url}: {exc.reason}") from None

    def get(self, path: str, params: dict | None = None):
        return self.request("GET", self.url(path, params))[1]

    def post_json(self, path: str, payload):
        return self.request("POST", self.url(path), json.dumps(payload).encode(), "application/json")[1]

    def upload_batch(self, experiment: str, files: list[tuple[str, bytes]], **fields) -> dict:
        """Send files (relative path, bytes) to the bulk endpoint; return its body, even when all were rejected."""
        form = [("experiment", experiment)] + [(k, str(v)) for k, v in fields.items() if v is not None]
        form += [("paths", path) for path, _ in files]
        body, content_type = encode_multipart(form, [("images", os.path.basename(p), data) for p, data in files])
        try:
            return self.request("POST", self.url("api/v1/plots/bulk/"), body, content_type)[1]
        except ApiError as exc:
            if exc.code == "all_rejected":
                return exc.details
            raise

    def iter_pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every row of a list endpoint, following the `next` links."""
        url = self.url(path, params)
        while url:
            page = self.request("GET", url)[1]
            yield from page["results"]
            url = page["next"]

    def plot_type_ids(self, name_or_id: str, experiment: str | None = None) -> list[int]:
        if name_or_id.isdigit():
            return [int(name_or_id)]
        rows = self.get("api/v1/plot-types/", {"name": name_or_id, "experiment": experiment})["results"]
        if not rows:
            raise ApiError(404, "not_found", f"no plot type named {name_or_id!r}")
        return [row["id"] for row in rows]

    def label(self, plot: int, label_class: str | int, comment: str = "") -> dict:
        return self.post_json("api/v1/labels/", {"plot": plot, "label_class": label_class, "comment": comment})


def find_images(root: str) -> list[str]:
    """Image files under ``root`` as sorted relative paths with forward slashes (hidden ones skipped)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES):
                found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return found


def batches(root: str, paths: list[str]) -> Iterator[list[tuple[str, bytes]]]:
    batch, size = [], 0
    for path in paths:
        with open(os.path.join(root, path), "rb") as fh:
            data = fh.read()
        if batch and (len(batch) >= BATCH_FILES or size + len(data) > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((path, data))
        size += len(data)
    if batch:
        yield batch


def cmd_upload(client: Client, args) -> int:
    paths = find_images(args.directory)
    if not paths:
        print(f"no images under {args.directory}", file=sys.stderr)
        return 1
    counts = {"new": 0, "duplicate": 0, "rejected": 0}
    started, requests = time.perf_counter(), 0
    for batch in batches(args.directory, paths):
        body = client.upload_batch(
            args.experiment,
            batch,
            campaign=args.campaign,
            run=args.run,
            run_period=args.run_period,
            training_weight=args.training_weight,
        )
        requests += 1
        for result in body["results"]:
            counts[result["status"]] += 1
            if result["status"] == "rejected":
                print(f"rejected {result['name']}: {result['reason']}", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(
        f"uploaded {len(paths)} files in {requests} requests: {counts['new']} new, {counts['duplicate']} duplicate, "
        f"{counts['rejected']} rejected ({seconds:.1f} s, {len(paths) / max(seconds, 1e-9):.1f} files/s)"
    )
    return 1 if counts["rejected"] else 0


def _plot_query(client: Client, args, **extra) -> dict:
    """Query parameters for /api/v1/plots/ from the shared options of `plots` and `verdicts`."""
    params = {"experiment": args.experiment, "run": args.run, "run_min": args.run_min, "run_max": args.run_max}
    params.update(extra, page_size=500)
    if args.plot_type:
        params["plot_type"] = client.plot_type_ids(args.plot_type, args.experiment)
    return params


def _print_plots(client: Client, args, params: dict, columns, keep=lambda row: True) -> None:
    """Page through plots; print each kept row as JSON or as tab-separated ``columns(row)``, up to --limit."""
    shown = 0
    for row in client.iter_pages("api/v1/plots/", params):
        if not keep(row):
            continue
        print(json.dumps(row) if args.json else "\t".join(str(v) for v in columns(row)))
        shown += 1
        if args.limit and shown >= args.limit:
            break


def cmd_plots(client: Client, args) -> int:
    params = _plot_query(client, args, label=args.label)
    _print_plots(
        client,
        args,
        params,
        lambda row: (row["id"], row["run"], row["plot_type_name"], row["chunk"], row["label"] or "-", row["image_url"]),
    )
    return 0


def cmd_verdicts(client: Client, args) -> int:
    """The models' verdicts on plots: id, run, type, verdict, confidence, confirmed or second opinion, label."""
    params = _plot_query(client, args, confirmed={"yes": "true", "no": "false"}.get(args.confirmed))
    if args.verdict:
        # One class of that name: filter on the server; several (no experiment given): filter here.
        found = client.get("api/v1/label-classes/", {"name": args.verdict, "experiment": args.experiment})["results"]
        if len(found) == 1:
            params["verdict"] = found[0]["id"]

    def keep(row) -> bool:
        return row["verdict"] is not None and (not args.verdict or row["verdict"].lower() == args.verdict.lower())

    def columns(row) -> tuple:
        confidence = row["verdict_confidence"]
        return (
            row["id"],
            row["run"],
            row["plot_type_name"],
            row["verdict"],
            "-" if confidence is None else f"{confidence:.3f}",
            "confirmed" if row["verdict_confirmed"] else "second opinion",
            row["label"] or "-",
        )

    _print_plots(client, args, params, columns, keep)
    return 0


def credentials_path() -> str:
    """Where `login` keeps tokens: $HYDRA_CLIENT_CREDENTIALS, else ~/.config/hydra-client/credentials.json."""
    explicit = os.environ.get("HYDRA_CLIENT_CREDENTIALS")
    if explicit:
        return explicit
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "hydra-client", "credentials.json")


def load_credentials() -> dict:
    """``{"url": last URL logged in to, "tokens": {url: key}}``; empty when nothing was stored."""
    try:
        with open(credentials_path(), encoding="utf-8") as fh:
            stored = json.load(fh)
    except (OSError, ValueError):
        return {"url": None, "tokens": {}}
    return {"url": stored.get("url"), "tokens": dict(stored.get("tokens") or {})}


def save_credentials(url: str, key: str) -> str:
    stored = load_credentials()
    stored["url"], stored["tokens"][url] = url, key
    path = credentials_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    # Readable by its owner only: the file holds keys that act as the user.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(stored, fh, indent=2)
    os.chmod(path, 0o600)
    return path


def cmd_login(client: Client, args) -> int:
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else getpass.getpass("Password: ")
    client.token = None  # the password is the credential here
    body = client.post_json("api/v1/auth/token/", {"username": args.username, "password": password, "name": args.name})
    path = save_credentials(client.base.rstrip("/"), body["key"])
    print(f"logged in to {client.base.rstrip('/')} as {args.username}; token {body['prefix']}… saved to {path}")
    return 0


def cmd_label(client: Client, args) -> int:
    label_class: str | int = int(args.label_class) if args.label_class.isdigit() else args.label_class
    label = client.label(args.plot, label_class, args.comment)
    print(f"plot {label['plot']} labeled {label['label']} (label {label['id']})")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hydra-client", description=__doc__.split("\n\n")[0])
    top.add_argument("--url", default=os.environ.get("HYDRA_URL"), help="Portal URL (default: $HYDRA_URL).")
    top.add_argument("--token", default=os.environ.get("HYDRA_TOKEN"), help="API token (default: $HYDRA_TOKEN).")
    commands = top.add_subparsers(dest="command", required=True)

    _add_upload(commands)
    _add_plots(commands)
    _add_verdicts(commands)
    _add_label_and_login(commands)
    return top


def _add_upload(commands) -> None:
    upload = commands.add_parser("upload", help="Upload every image under a directory (Hydra layout).")
    upload.add_argument("directory")
    upload.add_argument("--experiment", required=True, help="Experiment slug.")
    upload.add_argument("--campaign", help="Campaign name (default: online).")
    upload.add_argument("--run", type=int, help="Run number for files not under a RunNNNNNN folder.")
    upload.add_argument("--run-period", dest="run_period", help="Run period for files without one.")
    upload.add_argument(
        "--training-weight",
        dest="training_weight",
        type=int,
        help="Training weight of the new plots (0: held out, for testing only; default 1).",
    )
    upload.set_defaults(func=cmd_upload)


def _add_plots(commands) -> None:
    plots = commands.add_parser("plots", help="List plots (tab-separated: id, run, type, chunk, label, image URL).")
    plots.add_argument("--experiment", help="Experiment slug.")
    plots.add_argument("--run", type=int)
    plots.add_argument("--run-min", dest="run_min", type=int)
    plots.add_argument("--run-max", dest="run_max", type=int)
    plots.add_argument("--plot-type", dest="plot_type", help="Plot type id or name.")
    plots.add_argument("--label", help="Label class id, or 'unlabeled'.")
    plots.add_argument("--limit", type=int, help="Stop after this many plots.")
    plots.add_argument("--json", action="store_true", help="One JSON object per line.")
    plots.set_defaults(func=cmd_plots)


def _add_verdicts(commands) -> None:
    verdicts = commands.add_parser(
        "verdicts",
        help="Plots with a model verdict (tab-separated: id, run, type, verdict, confidence, confirmed, label).",
    )
    verdicts.add_argument("--experiment", help="Experiment slug.")
    verdicts.add_argument("--run", type=int)
    verdicts.add_argument("--run-min", dest="run_min", type=int)
    verdicts.add_argument("--run-max", dest="run_max", type=int)
    verdicts.add_argument("--plot-type", dest="plot_type", help="Plot type id or name.")
    verdicts.add_argument("--verdict", help="Only this verdict class name (Bad, Good...).")
    verdicts.add_argument(
        "--confirmed", choices=["yes", "no"], help="Only confirmed verdicts, or only second opinions."
    )
    verdicts.add_argument("--limit", type=int, help="Stop after this many plots.")
    verdicts.add_argument("--json", action="store_true", help="One JSON object per line.")
    verdicts.set_defaults(func=cmd_verdicts)


def _add_label_and_login(commands) -> None:
    label = commands.add_parser("label", help="Label one plot.")
    label.add_argument("plot", type=int, help="Plot id.")
    label.add_argument("label_class", help="Class name (Good, Bad...) or id.")
    label.add_argument("--comment", default="")
    label.set_defaults(func=cmd_label)

    login = commands.add_parser("login", help="Get a token with your user name and password, and store it.")
    login.add_argument("--username", required=True)
    login.add_argument("--name", default="hydra-client", help="Name of the new token (default: hydra-client).")
    login.add_argument(
        "--password-stdin", dest="password_stdin", action="store_true", help="Read the password from stdin."
    )
    login.set_defaults(func=cmd_login)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    stored = load_credentials()
    args.url = (args.url or stored["url"] or "").rstrip("/")
    if not args.url:
        print("hydra-client: give --url, set HYDRA_URL or log in first", file=sys.stderr)
        return 2
    args.token = args.token or stored["tokens"].get(args.url)
    try:
        return args.func(Client(args.url, args.token), args)
    except ApiError as exc:
        print(f"hydra-client: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
