<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\Core\Form\FormStateInterface;

/**
 * A form state that holds submitted values, storage and errors in arrays.
 */
final class ArrayFormState implements FormStateInterface {

  /**
   * @var array<string, mixed>
   */
  public array $storage = [];

  /**
   * @var array<string, string>
   */
  public array $errors = [];

  public bool $rebuild = FALSE;

  /**
   * @var array<string, mixed>|null
   */
  public ?array $triggeringElement = NULL;

  /**
   * @param array<string, mixed> $values
   */
  public function __construct(public array $values = []) {
  }

  public function &get($property) {
    $value = $this->storage[$property] ?? NULL;

    return $value;
  }

  public function set($property, $value) {
    $this->storage[$property] = $value;

    return $this;
  }

  public function &getUserInput() {
    return $this->values;
  }

  public function &getValue($key, $default = NULL) {
    $value = $this->values[$key] ?? $default;

    return $value;
  }

  public function setRedirect($route_name, array $route_parameters = [], array $options = []) {
    return $this;
  }

  public function setErrorByName($name, $message = '') {
    $this->errors[$name] = (string) $message;

    return $this;
  }

  public function clearErrors() {
    $this->errors = [];
  }

  public function getErrors() {
    return $this->errors;
  }

  public function setRebuild($rebuild = TRUE) {
    $this->rebuild = $rebuild;

    return $this;
  }

  public function &getTriggeringElement() {
    return $this->triggeringElement;
  }

}
