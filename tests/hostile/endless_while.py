# hostile prior: endless while
# expect: refused at load
# refused: loop iterations/function calls in one call
def policy(obs):
    while True:
        pass
