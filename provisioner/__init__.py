"""colo-provisioner: the co-location and application hosting SOP of a regency data centre, as code."""

__version__ = "0.1.0"
