"""The gradebook as a CSV that Canvas's gradebook import takes.

Canvas's layout: the identity columns `Student` ("Last, First"), `ID`, `SIS User ID`,
`SIS Login ID`, `Section`, then one column per assignment, with a second row `Points Possible`
giving each assignment's maximum. Canvas matches students by ID or SIS ids (we have no Canvas
ids, so `SIS Login ID` carries the university login) and creates an assignment for each column
it does not know. Columns Canvas computes itself (`Final Score`, `Final Grade`) are read-only
there: it ignores them on import, and they carry our weighted total and letter for reading.

Missing work is written as 0 (it counts 0 in the total); work not yet due or not yet graded is
left blank, which Canvas reads as "no grade".
"""

from __future__ import annotations

import csv
import io

from .selectors import CellStatus, Gradebook

IDENTITY_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
READ_ONLY_COLUMNS = ["Final Score", "Final Grade"]


def _student_name(user) -> str:
    if user.last_name or user.first_name:
        return f"{user.last_name}, {user.first_name}".strip(", ")
    return user.username


def _points(value) -> str:
    return f"{value.normalize():f}" if value is not None else ""


def gradebook_canvas_csv(*, book: Gradebook) -> str:
    out = io.StringIO()
    # Canvas reads CRLF or LF; Excel opens either. The BOM is left out: Canvas dislikes it in headers.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(IDENTITY_COLUMNS + [a.title for a in book.assignments] + READ_ONLY_COLUMNS)
    writer.writerow(
        ["    Points Possible", "", "", "", ""]
        + [_points(a.max_points) for a in book.assignments]
        + ["", ""]
    )
    for row in book.rows:
        cells = []
        for cell in row.cells:
            if cell.status in (CellStatus.GRADED, CellStatus.MISSING):
                cells.append(_points(cell.points))
            else:
                cells.append("")
        writer.writerow(
            [_student_name(row.student), "", "", row.student.username, book.course.code]
            + cells
            + [_points(row.total), row.letter]
        )
    return out.getvalue()
