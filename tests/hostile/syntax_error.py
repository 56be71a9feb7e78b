# hostile prior: syntax error
# expect: refused at load
# refused: SyntaxError: expected ':' at statement: 'def policy(obs)'
def policy(obs)
    return [0.0] * 3
