"""The soak run (`make soak`): hours of life in minutes, watched for leaks and stalls."""
