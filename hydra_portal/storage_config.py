"""Where stored files live: STORAGES from HYDRA_STORAGE and the HYDRA_S3_* variables.

The local filesystem under MEDIA_ROOT (one machine, or a shared filesystem), or an S3-compatible
bucket shared by web and worker machines (the s3 extra: django-storages and boto3). See docs/deploy.md.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from hydra_portal.env import env_int, env_secret, env_str, env_url

KINDS = ("filesystem", "s3")


def storage_settings(kind: str) -> dict:
    """Django's STORAGES for ``kind`` (filesystem or s3); ImproperlyConfigured for another kind or no bucket."""
    if kind not in KINDS:
        raise ImproperlyConfigured(f"HYDRA_STORAGE must be filesystem or s3, got {kind!r}")
    result = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if kind == "s3":
        result["default"] = _s3()
    return result


def _s3() -> dict:
    if not env_str("HYDRA_S3_BUCKET"):
        raise ImproperlyConfigured("HYDRA_STORAGE=s3 needs HYDRA_S3_BUCKET (the bucket's name)")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("HYDRA_S3_BUCKET"),
            "endpoint_url": env_url("HYDRA_S3_ENDPOINT_URL", schemes=("http", "https")) or None,
            "region_name": env_str("HYDRA_S3_REGION") or None,
            # Empty keys let boto3 find credentials itself (AWS_* variables, instance roles).
            "access_key": env_secret("HYDRA_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_secret("HYDRA_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("HYDRA_S3_PREFIX", ""),
            "addressing_style": env_str("HYDRA_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            # Names are content hashes or per-model names written once: never rename on a clash.
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("HYDRA_S3_URL_SECONDS", 300, minimum=10),
        },
    }
