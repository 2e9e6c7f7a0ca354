<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\FormStateInterface;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;

/**
 * Step 2: which way accounts flow, and how the Entra ID -> Drupal import runs.
 */
final class DirectionForm extends WizardFormBase {

  /**
   * {@inheritdoc}
   */
  public function getFormId() {
    return 'entra_provisioning_direction';
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   *
   * @return array<string, mixed>
   */
  public function buildForm(array $form, FormStateInterface $form_state) {
    $facts = $this->libraryFacts();
    $form['drupal_to_entra'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Drupal → Entra ID'),
      '#description' => $this->t('Create Entra ID accounts for Drupal users (step 3).'),
      '#config_target' => self::target('direction.drupal_to_entra'),
    ];
    $form['entra_to_drupal'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Entra ID → Drupal'),
      '#description' => $this->t('Import Entra ID users into Drupal through the Graph delta query: on cron (interval below) and with "drush entra:import". Needs the application permission @read (@write includes it).', [
        '@read' => $facts?->permission(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL) ?? '?',
        '@write' => $facts?->permission(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA) ?? '?',
      ]),
      '#config_target' => self::target('direction.entra_to_drupal'),
    ];
    $form['import'] = [
      '#type' => 'details',
      '#title' => $this->t('Entra ID → Drupal import'),
      '#open' => TRUE,
      '#states' => ['visible' => [':input[name="entra_to_drupal"]' => ['checked' => TRUE]]],
    ];
    $form['import']['intro'] = [
      '#markup' => '<p>' . $this->t('Entra ID users are matched to Drupal accounts by their link first, then by e-mail address. An unlinked Drupal account that only has the same username is never taken over: that is logged as a conflict. Imported accounts are linked, so they are never sent back to Entra ID as new, and saving them during the import queues nothing for Entra ID.') . '</p>',
    ];
    $form['import']['import_interval'] = [
      '#type' => 'number',
      '#title' => $this->t('Import on cron every (seconds)'),
      '#description' => $this->t('0: cron never imports; run "drush entra:import" instead. Each cron run imports for at most 30 seconds and the next one continues.'),
      '#min' => 0,
      '#max' => 604800,
      '#config_target' => self::target('import.interval'),
    ];
    $form['import']['import_create_accounts'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Create Drupal accounts for Entra ID users that match none'),
      '#description' => $this->t('Username from the userPrincipalName (or mail, as the mapping on step 3 says), e-mail address, status from accountEnabled. The account has no password: it signs in through single sign-on or a password reset.'),
      '#config_target' => self::target('import.create_accounts'),
    ];
    $form['import']['import_removed'] = [
      '#type' => 'select',
      '#title' => $this->t('A linked user removed in Entra ID'),
      '#options' => [
        'block' => $this->t('Block the Drupal account'),
        'delete' => $this->t('Delete the Drupal account, with its content as any user deletion does, once Entra ID deletes the user for good (block it while it is restorable)'),
        'none' => $this->t('Do nothing'),
      ],
      '#config_target' => self::target('import.removed'),
    ];
    $form['import']['import_include_guests'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Import guest users (#EXT#)'),
      '#config_target' => self::target('import.include_guests'),
    ];
    $form['import']['import_pages_per_call'] = [
      '#type' => 'number',
      '#title' => $this->t('Graph pages per library call'),
      '#description' => $this->t('The position in the round is saved after each call.'),
      '#min' => 1,
      '#max' => 100,
      '#config_target' => self::target('import.pages_per_call'),
    ];
    $form = parent::buildForm($form, $form_state);
    $form['actions']['submit']['#value'] = $this->t('Save and continue');
    $form['actions']['submit']['#submit'] = ['::submitForm', '::goNext'];
    $this->addBackLink($form, 'entra_provisioning.connection');

    return $form;
  }

  /**
   * Submit handler: continues with step 3.
   *
   * @param array<string, mixed> $form
   */
  public function goNext(array &$form, FormStateInterface $form_state): void {
    $form_state->setRedirect('entra_provisioning.provisioning');
  }

}
