"""symconv.roster: the rosters Canvas, Gradescope and Moodle export, read tolerantly; missing and duplicated ids
are one-line errors naming the rows."""

from __future__ import annotations

import pytest

from symconv.roster import RosterEntry, RosterError, read_roster

CANVAS = ('Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (8675309)\n'
          '    Points Possible,,,,,19.5\n'
          '"Lovelace, Ada",101,s001,alovelace,CS 101,17\n'
          '"Hopper, Grace",102,s002,ghopper,CS 101,19\n'
          '"Student, Test",103,,,CS 101,\n')
GRADESCOPE = ('First Name,Last Name,SID,Email,Sections,Homework 1,Homework 1 - Max Points\n'
              'Ada,Lovelace,s001,ada@uni.edu,A,17,19.5\n'
              'Grace,Hopper,s002,grace@uni.edu,A,19,19.5\n')
GRADESCOPE_NAMES = 'Name,SID,Email\nAda Lovelace,s001,ada@uni.edu\nGrace Hopper,s002,grace@uni.edu\n'
MOODLE = ('"First name","Last name","ID number",Institution,Department,"Email address","Assignment: HW1",'
          '"Course total"\n'
          'Ada,Lovelace,s001,"Uni","CS",ada@uni.edu,17.00,17.00\n'
          'Grace,Hopper,s002,"Uni","CS",grace@uni.edu,19.00,19.00\n')
PLAIN = "id,name,email\ns001,Ada Lovelace,ada@uni.edu\ns002,Grace Hopper,\n"


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "roster.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text, first", [
    (CANVAS, RosterEntry("s001", "Lovelace, Ada", "")),                 # SIS User ID before Canvas's own ID
    (GRADESCOPE, RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),
    (GRADESCOPE_NAMES, RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),
    (MOODLE, RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),
    (PLAIN, RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),
    ("\ufeff" + MOODLE, RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),      # Excel's and Moodle's BOM
    (MOODLE.replace(",", ";"), RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),  # a European Excel
    (PLAIN.replace(",", "\t"), RosterEntry("s001", "Ada Lovelace", "ada@uni.edu")),
    ("ID , Name\n\n  s001 , Ada Lovelace \n\ns002,Grace\n", RosterEntry("s001", "Ada Lovelace", ""))])
def test_exports_are_read(tmp_path, text, first):
    roster = read_roster(write(tmp_path, text))
    assert roster[0] == first and [e.id for e in roster] == ["s001", "s002"]   # points row and test student gone


def test_windows_1252_and_a_chosen_id_column(tmp_path):
    path = write(tmp_path, "id,name\ns001,Zoë Müller\n", encoding="cp1252")
    assert read_roster(path)[0].name == "Zoë Müller"
    path = write(tmp_path, CANVAS.replace('"Student, Test",103,,,CS 101,\n', ""))
    assert [e.id for e in read_roster(path, "ID")] == ["101", "102"]
    assert [e.id for e in read_roster(path, "sis_login_id")] == ["alovelace", "ghopper"]


@pytest.mark.parametrize("text, message", [
    (GRADESCOPE.replace("s002", ""), "row 3 (Grace Hopper) has no SID; fill it in or choose another id column"),
    (MOODLE.replace("s002", "s001"), "row 3 (Grace Hopper): ID number 's001' is already on row 2"),
    ("name,email\nAda,ada@uni.edu\n", "no id column (looked for SIS User ID"),
    ("", "the roster is empty"),
    ("id,name\n", "the roster lists no students"),
    ('id,name\n"s001,Ada\n', "not a CSV file")])
def test_bad_rosters_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(RosterError) as err:
        read_roster(write(tmp_path, text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_missing_file_and_a_missing_chosen_column(tmp_path):
    with pytest.raises(RosterError, match="cannot read the roster"):
        read_roster(tmp_path / "nope.csv")
    with pytest.raises(RosterError, match="no column 'Student Number'"):
        read_roster(write(tmp_path, PLAIN), "Student Number")


def test_a_huge_roster_is_refused(tmp_path, monkeypatch):
    import symconv.roster as roster

    monkeypatch.setattr(roster, "MAX_ROSTER_BYTES", 50)
    with pytest.raises(RosterError, match="too large"):
        read_roster(write(tmp_path, GRADESCOPE))


def test_the_grader_reads_rosters_with_the_engine(tmp_path):
    """grader.writeup.roster maps every name to the id the engine's reader chooses (Canvas: SIS User ID)."""
    from grader.writeup.roster import RosterError as GraderRosterError
    from grader.writeup.roster import load_roster

    roster = load_roster(write(tmp_path, "\ufeff" + CANVAS.replace(",", ";")))
    assert roster.lookup("Lovelace, Ada") == "s001" and roster.lookup("ghopper") == "s002"
    with pytest.raises(GraderRosterError, match="cannot read the roster"):
        load_roster(tmp_path / "nope.csv")
