#!/usr/bin/env python3
"""Tests of scripts/doc-examples on temporary files: usage doc_examples_test.py <path of doc-examples>."""

import pathlib
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = None  # set from the command line

SOURCE = """\
#include <x.hpp>
int main() {
  //! [greet]
  greet("Bob");   
  //! [greet]
}
"""


class DocExamples(unittest.TestCase):
  def setUp(self):
    self.tmp = tempfile.TemporaryDirectory()
    self.root = pathlib.Path(self.tmp.name)
    (self.root / 'docs').mkdir()
    (self.root / 'tests').mkdir()
    (self.root / 'tests' / 'a.cpp').write_text(SOURCE)

  def tearDown(self):
    self.tmp.cleanup()

  def guide(self, text, name='docs/guide.md'):
    (self.root / name).write_text(textwrap.dedent(text))

  def run_script(self, *args):
    done = subprocess.run([sys.executable, SCRIPT, '--root', str(self.root), *args], capture_output=True, text=True)
    return done.returncode, done.stderr

  def assert_fails_with(self, text):
    code, errors = self.run_script()
    self.assertEqual(code, 1, errors)
    self.assertIn(text, errors)

  def test_a_block_equal_to_its_region_passes(self):
    self.guide("""\
      Text.
      <!-- snippet: tests/a.cpp greet -->
      ```cpp
      greet("Bob");
      ```
      <!-- include: tests/a.cpp -->
      ```cpp
      #include <x.hpp>
      int main() {
        greet("Bob");
      }
      ```
      """)
    self.assertEqual(self.run_script(), (0, ''))

  def test_a_cpp_block_without_a_source_comment_fails(self):
    self.guide("""\
      Text.

      ```cpp
      greet("Bob");
      ```
      """)
    self.assert_fails_with('docs/guide.md:3: a ```cpp block needs a source on the line before it')

  def test_a_drifted_block_fails_naming_the_line(self):
    self.guide("""\
      <!-- snippet: tests/a.cpp greet -->
      ```cpp
      greet("Ann");
      ```
      """)
    self.assert_fails_with("docs/guide.md:3: the block differs from snippet tests/a.cpp greet: "
                           "the guide has 'greet(\"Ann\");', the source 'greet(\"Bob\");'")

  def test_a_missing_marker_or_file_fails(self):
    self.guide("""\
      <!-- snippet: tests/a.cpp farewell -->
      ```cpp
      ```
      <!-- include: tests/gone.cpp -->
      ```cpp
      ```
      """)
    self.assert_fails_with('docs/guide.md:1: tests/a.cpp has no marker [farewell]')
    self.assert_fails_with('docs/guide.md:4: tests/gone.cpp: no such file')

  def test_blocks_need_a_language_and_doxygen_commands_are_refused(self):
    self.guide("""\
      ```
      output
      ```
      \\snippet tests/a.cpp greet
      """)
    self.assert_fails_with('docs/guide.md:1: a code block needs a language')
    self.assert_fails_with('docs/guide.md:4: \\snippet shows raw outside the Doxygen HTML')

  def test_not_compiled_needs_a_reason(self):
    self.guide("""\
      <!-- not compiled: shows a compile error -->
      ```cpp
      int x = "no";
      ```
      <!-- not compiled: -->
      ```cpp
      ```
      """)
    code, errors = self.run_script()
    self.assertEqual(code, 1)
    self.assertEqual(errors.splitlines()[0], 'docs/guide.md:5: "not compiled:" needs a reason: '
                     '<!-- not compiled: REASON -->')

  def test_fix_rewrites_blocks_and_doxygen_commands_and_then_the_check_passes(self):
    self.guide("""\
      <!-- snippet: tests/a.cpp greet -->
      ```cpp
      greet("Ann");
      ```
      - in a list:
        \\snippet tests/a.cpp greet
      """)
    (self.root / 'README.md').write_text('\\include tests/a.cpp\n')
    code, errors = self.run_script('--fix')
    self.assertEqual(code, 0, errors)
    self.assertEqual((self.root / 'docs/guide.md').read_text(), textwrap.dedent("""\
      <!-- snippet: tests/a.cpp greet -->
      ```cpp
      greet("Bob");
      ```
      - in a list:
        <!-- snippet: tests/a.cpp greet -->
        ```cpp
        greet("Bob");
        ```
      """))
    self.assertEqual((self.root / 'README.md').read_text(), '<!-- include: tests/a.cpp -->\n```cpp\n'
                     + SOURCE.replace('  //! [greet]\n', '').replace('   \n', '\n') + '```\n')
    self.assertEqual(self.run_script(), (0, ''))

  def test_guides_added_later_are_checked(self):
    self.guide('```cpp\n```\n', name='docs/later.md')
    self.assert_fails_with('docs/later.md:1: a ```cpp block needs a source')


if __name__ == '__main__':
  SCRIPT = sys.argv.pop(1)
  unittest.main()
