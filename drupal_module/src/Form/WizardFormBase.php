<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\ConfigFormBase;
use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\Url;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\FormErrorLabels;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\entra_provisioning\Provisioning\SecretKeyRepositoryInterface;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Shared plumbing of the three wizard steps: config targets and services.
 *
 * The parent constructor keeps its (config.factory, config.typed) signature;
 * the module's services are set in create().
 */
abstract class WizardFormBase extends ConfigFormBase {

  protected ClientFactory $clients;

  protected Provisioner $provisioner;

  protected ResultFormatter $formatter;

  protected SecretKeyRepositoryInterface $keys;

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container) {
    $form = new static($container->get('config.factory'), $container->get('config.typed'));
    $form->clients = $container->get('entra_provisioning.client_factory');
    $form->provisioner = $container->get('entra_provisioning.provisioner');
    $form->formatter = $container->get('entra_provisioning.result_formatter');
    $form->keys = $container->get('entra_provisioning.key_repository');

    return $form;
  }

  /**
   * {@inheritdoc}
   */
  protected function getEditableConfigNames(): array {
    return [ModuleSettings::CONFIG_NAME];
  }

  /**
   * {@inheritdoc}
   *
   * Then every error names its field: ConfigFormBase sets a config schema
   * violation on its element with the bare constraint message.
   *
   * @param array<string, mixed> $form
   */
  public function validateForm(array &$form, FormStateInterface $form_state) {
    parent::validateForm($form, $form_state);
    $this->labelErrors($form, $form_state);
  }

  /**
   * Starts each error that does not name its element with the element's
   * title ("Timeout of one Graph request (ms): This value should be ..."),
   * on the same element. Call it again after setting errors of your own.
   *
   * FormState keeps the first error per element and has no way to replace
   * one, so the errors are cleared and set again, in their order. That is
   * allowed while the form-level validate handlers run: setErrorByName()
   * only refuses once validation is complete.
   *
   * @param array<string, mixed> $form
   */
  protected function labelErrors(array $form, FormStateInterface $form_state): void {
    $errors = $form_state->getErrors();
    if ($errors === []) {
      return;
    }
    $labelled = FormErrorLabels::rewrite(FormErrorLabels::titles($form), $errors, fn ($title, $message) => $this->t('@title: @message', ['@title' => $title, '@message' => $message]));
    if ($labelled === $errors) {
      return;
    }
    $form_state->clearErrors();
    foreach ($labelled as $name => $message) {
      $form_state->setErrorByName($name, $message);
    }
  }

  /**
   * A #config_target for a key of entra_provisioning.settings.
   */
  protected static function target(string $path): string {
    return ModuleSettings::CONFIG_NAME . ':' . $path;
  }

  /**
   * What the library says about itself, or null while it cannot be loaded
   * (the status report says why; the form still shows what it can).
   */
  protected function libraryFacts(): ?LibraryFacts {
    try {
      return $this->clients->facts();
    }
    catch (EntraException $e) {
      return NULL;
    }
  }

  /**
   * Adds a "Back" link to the form actions.
   *
   * @param array<string, mixed> $form
   */
  protected function addBackLink(array &$form, string $route): void {
    $form['actions']['back'] = [
      '#type' => 'link',
      '#title' => $this->t('Back'),
      '#url' => Url::fromRoute($route),
      '#attributes' => ['class' => ['button']],
      '#weight' => -10,
    ];
  }

}
