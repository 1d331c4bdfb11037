"""The paging parameters of the holds service's lists: at most 1,000 per page, an offset up to
MAX_OFFSET (deeper pages: narrow the filters instead). Each list gives its default page size."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from pnm.shared.http import MAX_OFFSET

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
