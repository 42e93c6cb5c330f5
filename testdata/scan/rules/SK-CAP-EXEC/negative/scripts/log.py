print('git log')
