"""Count the test cases in the JUnit files of one test run and print one line per suite,
then a closing line 'N passed, N failed, N skipped'.

With --record FILE NAME passed|failed, write a JUnit file with one test case instead, for a
tool that writes none itself (ansible-lint).
"""

import glob
import os
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def record(path, name, outcome):
    suite = ET.Element("testsuite", name=name, tests="1", failures="1" if outcome == "failed" else "0")
    case = ET.SubElement(suite, "testcase", classname="lint", name=name)
    if outcome == "failed":
        ET.SubElement(case, "failure", message="%s reported violations (see the log above)" % name)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def main():
    if sys.argv[1] == "--record":
        record(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    totals = [0, 0, 0]
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.xml"))):
        passed, failed, skipped = count(path)
        totals = [totals[0] + passed, totals[1] + failed, totals[2] + skipped]
        print("  %-60s %5d passed %3d failed %3d skipped" % (os.path.basename(path), passed, failed, skipped))
    print("%d passed, %d failed, %d skipped" % tuple(totals))


if __name__ == "__main__":
    main()
