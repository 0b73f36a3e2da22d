"""Every table of the register, imported so that one metadata (and Alembic) knows them all.

Each area adds one import line for its own module of tables.
"""

from provisioner.register import capacity_models as capacity_models
from provisioner.register import chain as chain
from provisioner.register import models as models
from provisioner.register import network_models as network_models
from provisioner.register import numbering_models as numbering_models
