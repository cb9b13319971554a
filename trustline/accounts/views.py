from __future__ import annotations

from trustline.intake.views import home

apikey_list = apikey_revoke = home  # replaced by the portal views
